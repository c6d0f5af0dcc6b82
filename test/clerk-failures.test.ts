import { describe, expect, it } from "vitest";
import { errorBody, getSettings, saveSettings } from "./support/api.ts";
import { clerkCalls, newOrganization, organization, queueClerkFaults } from "./support/emulator.ts";
import { captureLogs } from "./support/logs.ts";
import { tokenFor } from "./support/tokens.ts";

const EXISTING = {
	crm: {
		provider: "close",
		apiKey: "api_prev0000.secretprevious00",
		connectedAt: "2024-01-15T10:30:00.000Z",
	},
	other: "kept",
};
const BODY = { provider: "bullhorn", apiKey: "bh-secret-key-0000abc1" };

async function connectedOrganization() {
	const orgId = await newOrganization({ private_metadata: EXISTING });
	return { orgId, token: await tokenFor(orgId) };
}

describe("Clerk answers 5xx every time", () => {
	it("GET retries 3 times in all, then answers 500 INTERNAL_ERROR", async () => {
		const { orgId, token } = await connectedOrganization();
		await queueClerkFaults(orgId, [{ status: 500 }, { status: 502 }, { status: 503 }]);
		const response = await getSettings({ token });
		expect(response.status).toBe(500);
		expect(response.body).toEqual(errorBody(response, "INTERNAL_ERROR", "Internal server error"));
		expect(await clerkCalls(orgId)).toHaveLength(3);
	});

	it("a failed write leaves the previous record intact", async () => {
		const { orgId, token } = await connectedOrganization();
		await queueClerkFaults(orgId, [{ status: 500 }, { status: 500 }, { status: 500 }]);
		const response = await saveSettings({ token, body: BODY });
		expect(response.status).toBe(500);
		expect((await organization(orgId)).private_metadata).toEqual(EXISTING);
	});

	it("logs the failure without Clerk's message", async () => {
		const logs = captureLogs();
		const { orgId, token } = await connectedOrganization();
		await queueClerkFaults(orgId, [{ status: 500 }, { status: 500 }, { status: 500 }]);
		const response = await getSettings({ token });
		const requestId = response.headers.get("X-Request-Id");
		expect(logs.entries()).toEqual([
			{
				level: "error",
				msg: "upstream failure",
				service: "clerk",
				problem: "clerk: HTTP 500",
				upstreamStatus: 500,
				attempts: 3,
				requestId,
			},
			expect.objectContaining({ level: "error", msg: "request", status: 500, requestId, orgId }),
		]);
		expect(logs.lines.join("\n")).not.toContain("Emulated upstream failure");
	});
});

describe("Clerk recovers", () => {
	it("429 with Retry-After: 1, then success → 200 after one retry", async () => {
		const { orgId, token } = await connectedOrganization();
		await queueClerkFaults(orgId, [{ status: 429, retryAfter: "1" }]);
		const started = Date.now();
		const response = await getSettings({ token });
		expect(response.status).toBe(200);
		expect(response.body).toMatchObject({ connected: true, provider: "close" });
		expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
		expect(await clerkCalls(orgId)).toHaveLength(2);
	});

	it("503 then success on a write → 200, and the record is the new one", async () => {
		const { orgId, token } = await connectedOrganization();
		await queueClerkFaults(orgId, [{ status: 503 }]);
		const response = await saveSettings({ token, body: BODY });
		expect(response.status).toBe(200);
		expect((await organization(orgId)).private_metadata).toMatchObject({
			crm: { provider: "bullhorn" },
			other: "kept",
		});
	});
});

describe("Clerk asks for a wait longer than the budget", () => {
	it("gives up at once instead of waiting (Retry-After: 30)", async () => {
		const { orgId, token } = await connectedOrganization();
		await queueClerkFaults(orgId, [{ status: 429, retryAfter: "30" }]);
		const started = Date.now();
		const response = await getSettings({ token });
		expect(response.status).toBe(500);
		expect(Date.now() - started).toBeLessThan(2000);
		expect(await clerkCalls(orgId)).toHaveLength(1);
	});
});

describe("Clerk never answers", () => {
	it("answers 500 well within 10 s, and the record is intact", async () => {
		const { orgId, token } = await connectedOrganization();
		await queueClerkFaults(orgId, [{ kind: "hang" }, { kind: "hang" }, { kind: "hang" }]);
		const started = Date.now();
		const response = await saveSettings({ token, body: BODY });
		const elapsed = Date.now() - started;
		expect(response.status).toBe(500);
		expect(response.body).toEqual(errorBody(response, "INTERNAL_ERROR", "Internal server error"));
		expect(elapsed).toBeLessThan(6000);
		expect((await organization(orgId)).private_metadata).toEqual(EXISTING);
	});
});

describe("Clerk answers something unusable", () => {
	it.each([
		["401 (wrong CLERK_SECRET_KEY)", { status: 401 }],
		["404 (organization unknown to Clerk)", { status: 404 }],
		["a body that is not JSON", { kind: "malformed-json" as const }],
	])("%s → 500 without retrying", async (_name, fault) => {
		const { orgId, token } = await connectedOrganization();
		await queueClerkFaults(orgId, [fault]);
		const response = await getSettings({ token });
		expect(response.status).toBe(500);
		expect(response.body).toEqual(errorBody(response, "INTERNAL_ERROR", "Internal server error"));
		expect(await clerkCalls(orgId)).toHaveLength(1);
	});

	it("a stored record that is not a CRM record → 500, not a made-up answer", async () => {
		const orgId = await newOrganization({ private_metadata: { crm: { provider: "hubspot" } } });
		const response = await getSettings({ token: await tokenFor(orgId) });
		expect(response.status).toBe(500);
	});

	it("a CLERK_SECRET_KEY Clerk refuses → 500 on every operation, nothing written", async () => {
		const { orgId, token } = await connectedOrganization();
		const env = { CLERK_SECRET_KEY: "sk_test_wrong" };
		expect((await getSettings({ token, env })).status).toBe(500);
		expect((await saveSettings({ token, body: BODY, env })).status).toBe(500);
		expect((await organization(orgId)).private_metadata).toEqual(EXISTING);
	});
});

describe("Clerk's 8 KB limit on private metadata", () => {
	it("a save that would exceed it → 400 saying so, one attempt, the previous record intact", async () => {
		const logs = captureLogs();
		// Other data of the organization fills most of the 8 KB; a long key no longer fits beside it.
		const existing = { ...EXISTING, notes: "n".repeat(6000) };
		const orgId = await newOrganization({ private_metadata: existing });
		const response = await saveSettings({
			token: await tokenFor(orgId),
			body: { provider: "bullhorn", apiKey: "k".repeat(2048) },
		});
		expect(response.status).toBe(400);
		expect(response.body).toEqual(
			errorBody(
				response,
				"VALIDATION_ERROR",
				"Clerk refused the change: the organization's private metadata would exceed Clerk's 8 KB limit. Nothing was changed.",
			),
		);
		expect(await clerkCalls(orgId)).toHaveLength(1);
		expect((await organization(orgId)).private_metadata).toEqual(existing);
		expect(logs.entries()[0]).toMatchObject({ msg: "upstream failure", upstreamStatus: 422 });
	});

	it("a 422 of another kind stays a 500: it is our request Clerk did not understand", async () => {
		const { orgId, token } = await connectedOrganization();
		await queueClerkFaults(orgId, [{ status: 422 }]);
		const response = await saveSettings({ token, body: BODY });
		expect(response.status).toBe(500);
		expect(response.body).toEqual(errorBody(response, "INTERNAL_ERROR", "Internal server error"));
	});
});
