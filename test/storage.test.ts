import { describe, expect, it } from "vitest";
import { disconnect, getSettings, saveSettings } from "./support/api.ts";
import { clerkCalls, newOrganization, organization } from "./support/emulator.ts";
import { tokenFor } from "./support/tokens.ts";

const OTHER_PRIVATE = { billing: { plan: "pro", seats: 12 }, featureFlags: ["a", "b"] };
const PUBLIC = { displayName: "Acme", crm: "public crm value is not ours" };

describe("what a POST writes to Clerk", () => {
	it("is one PATCH holding the whole record, every field present so stale ones are cleared", async () => {
		const orgId = await newOrganization();
		const saved = await saveSettings({
			token: await tokenFor(orgId, { userId: "user_7" }),
			body: { provider: "bullhorn", apiKey: "bh-secret-key-0000abc1" },
		});
		const { connectedAt } = saved.body as { connectedAt: string };
		expect(await clerkCalls(orgId)).toEqual([
			{
				service: "clerk",
				method: "PATCH",
				path: `/v1/organizations/${orgId}/metadata`,
				target: orgId,
				// Pinned on every call (contract §5), so Clerk answers in the shapes the code expects.
				apiVersion: "2026-05-12",
				body: {
					private_metadata: {
						crm: {
							provider: "bullhorn",
							apiKey: "bh-secret-key-0000abc1",
							apiKeyLast4: "abc1",
							apiKeyId: null,
							connectedAt,
							connectedBy: "user_7",
							verifiedAt: null,
							status: "unverified",
							checkedAt: null,
							// A Bullhorn connection by API user's fields, so that none survives from one.
							apiUser: null,
							clientId: null,
							clientSecret: null,
							refreshToken: null,
							oauthUrl: null,
							restUrl: null,
						},
					},
				},
			},
		]);
		expect((await organization(orgId)).private_metadata).toEqual({
			crm: {
				provider: "bullhorn",
				apiKey: "bh-secret-key-0000abc1",
				apiKeyLast4: "abc1",
				connectedAt,
				connectedBy: "user_7",
				status: "unverified",
			},
		});
	});

	it("leaves no field of an earlier record behind (Clerk deep-merges)", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId, { userId: "user_8" });
		await saveSettings({ token, body: { provider: "close", apiKey: "api_abc123.secretsecretsecret" } });
		expect((await organization(orgId)).private_metadata).toMatchObject({ crm: { apiKeyId: "api_abc123" } });

		const saved = await saveSettings({ token, body: { provider: "bullhorn", apiKey: "short" } });
		expect((await organization(orgId)).private_metadata).toEqual({
			crm: {
				provider: "bullhorn",
				apiKey: "short",
				connectedAt: (saved.body as { connectedAt: string }).connectedAt,
				connectedBy: "user_8",
				status: "unverified",
			},
		});
	});
});

describe("other metadata is never touched", () => {
	it("survives POST and DELETE, private and public alike", async () => {
		const orgId = await newOrganization({ private_metadata: OTHER_PRIVATE, public_metadata: PUBLIC });
		const token = await tokenFor(orgId);

		await saveSettings({ token, body: { provider: "bullhorn", apiKey: "bh-secret-key-0000abc1" } });
		const afterSave = await organization(orgId);
		expect(afterSave.private_metadata).toMatchObject(OTHER_PRIVATE);
		expect(afterSave.public_metadata).toEqual(PUBLIC);

		await disconnect({ token });
		const afterDelete = await organization(orgId);
		expect(afterDelete.private_metadata).toEqual(OTHER_PRIVATE);
		expect(afterDelete.public_metadata).toEqual(PUBLIC);
	});

	it("a DELETE sends exactly { crm: null } in private_metadata", async () => {
		const orgId = await newOrganization({ private_metadata: OTHER_PRIVATE });
		await disconnect({ token: await tokenFor(orgId) });
		expect(await clerkCalls(orgId)).toEqual([
			{
				service: "clerk",
				method: "PATCH",
				path: `/v1/organizations/${orgId}/metadata`,
				target: orgId,
				// Pinned on every call (contract §5), so Clerk answers in the shapes the code expects.
				apiVersion: "2026-05-12",
				body: { private_metadata: { crm: null } },
			},
		]);
	});
});

describe("exactly one Clerk call per request", () => {
	it("GET reads the organization once, POST and DELETE patch it once", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId);
		await getSettings({ token });
		await saveSettings({ token, body: { provider: "bullhorn", apiKey: "bh-secret-key-0000abc1" } });
		await disconnect({ token });
		expect((await clerkCalls(orgId)).map((call) => `${call.method} ${call.path}`)).toEqual([
			`GET /v1/organizations/${orgId}`,
			`PATCH /v1/organizations/${orgId}/metadata`,
			`PATCH /v1/organizations/${orgId}/metadata`,
		]);
	});
});

describe("records written by the reference implementation", () => {
	it("are read: a record without apiKeyLast4 is masked from its key", async () => {
		const orgId = await newOrganization({
			private_metadata: {
				crm: {
					provider: "bullhorn",
					apiKey: "legacy-plaintext-key-abc1",
					connectedAt: "2024-01-15T10:30:00.000Z",
				},
			},
		});
		const response = await getSettings({ token: await tokenFor(orgId, { role: "org:member" }) });
		expect(response.body).toEqual({
			connected: true,
			provider: "bullhorn",
			connectedAt: "2024-01-15T10:30:00.000Z",
			apiKeyMasked: "********************abc1",
			status: "unverified",
		});
	});
});

describe("unknown fields", () => {
	it("a field under crm this service does not know survives a save (Clerk's deep merge) and is never shown", async () => {
		const orgId = await newOrganization({
			private_metadata: {
				crm: {
					provider: "close",
					apiKey: "api_old0000.secretold000000000",
					connectedAt: "2024-01-15T10:30:00.000Z",
					plantedBy: "someone else",
				},
			},
		});
		const token = await tokenFor(orgId, { userId: "user_7" });
		const saved = await saveSettings({
			token,
			body: { provider: "bullhorn", apiKey: "bh-secret-key-0000abc1" },
		});
		expect(saved.status).toBe(200);
		expect((await organization(orgId)).private_metadata.crm).toEqual({
			provider: "bullhorn",
			apiKey: "bh-secret-key-0000abc1",
			apiKeyLast4: "abc1",
			connectedAt: (saved.body as { connectedAt: string }).connectedAt,
			connectedBy: "user_7",
			status: "unverified",
			plantedBy: "someone else",
		});
		expect(await getSettings({ token: await tokenFor(orgId) }).then((response) => response.body)).toEqual({
			connected: true,
			provider: "bullhorn",
			connectedAt: (saved.body as { connectedAt: string }).connectedAt,
			apiKeyMasked: "********************abc1",
			connectedBy: "user_7",
			status: "unverified",
		});
	});
});
