import { describe, expect, it } from "vitest";
import {
	disconnect,
	errorBody,
	getSettings,
	SETTINGS_URL,
	saveSettings,
	send,
	settingsRequest,
} from "./support/api.ts";
import { clerkCalls, newOrganization, organization } from "./support/emulator.ts";
import { tokenFor } from "./support/tokens.ts";

const BODY = { provider: "bullhorn", apiKey: "bh-secret-key-0000abc1" };
const FORBIDDEN = "Your role in this organization cannot change CRM settings";

describe("who may write (CRM_WRITE_ROLES, default org:admin)", () => {
	it("lets a member read", async () => {
		const orgId = await newOrganization();
		expect((await getSettings({ token: await tokenFor(orgId, { role: "org:member" }) })).status).toBe(200);
	});

	it.each([
		["POST", () => ({ body: BODY })],
		["DELETE", () => ({})],
	])("refuses a member's %s with 403 FORBIDDEN and calls Clerk not at all", async (method, extra) => {
		const orgId = await newOrganization({
			private_metadata: { crm: { provider: "close", apiKey: "kept", connectedAt: "x" } },
		});
		const token = await tokenFor(orgId, { role: "org:member" });
		const response = await send(settingsRequest(method, { token, ...extra() }));
		expect(response.status).toBe(403);
		expect(response.body).toEqual(errorBody(response, "FORBIDDEN", FORBIDDEN));
		expect(await clerkCalls(orgId)).toEqual([]);
		expect((await organization(orgId)).private_metadata).toEqual({
			crm: { provider: "close", apiKey: "kept", connectedAt: "x" },
		});
	});

	it("refuses a session whose organization claim carries no role", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId, { claims: { o: { id: orgId } } });
		const response = await saveSettings({ token, body: BODY });
		expect(response.status).toBe(403);
		expect(response.body).toEqual(errorBody(response, "FORBIDDEN", FORBIDDEN));
	});

	it("checks the role before the body: a member with a bad body still gets 403", async () => {
		const orgId = await newOrganization();
		const response = await saveSettings({ token: await tokenFor(orgId, { role: "org:member" }), body: "{" });
		expect(response.status).toBe(403);
	});

	it("lets v1 admins write and refuses v1 members", async () => {
		const orgId = await newOrganization();
		expect((await saveSettings({ token: await tokenFor(orgId, { version: 1 }), body: BODY })).status).toBe(
			200,
		);
		const member = await tokenFor(orgId, { version: 1, role: "org:member" });
		expect((await disconnect({ token: member })).status).toBe(403);
	});

	it("honours a custom list of roles, with or without the org: prefix", async () => {
		const orgId = await newOrganization();
		const env = { CRM_WRITE_ROLES: "billing_manager, org:crm_owner" };
		const billing = await tokenFor(orgId, { role: "org:billing_manager" });
		const owner = await tokenFor(orgId, { role: "org:crm_owner" });
		const admin = await tokenFor(orgId, { role: "org:admin" });
		expect((await saveSettings({ token: billing, body: BODY, env })).status).toBe(200);
		expect((await disconnect({ token: owner, env })).status).toBe(200);
		expect((await disconnect({ token: admin, env })).status).toBe(403);
	});

	it("lets any member write when CRM_WRITE_ROLES is *", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId, { role: "org:member" });
		expect((await saveSettings({ token, body: BODY, env: { CRM_WRITE_ROLES: "*" } })).status).toBe(200);
	});
});

describe("the organization comes from the token only", () => {
	it("ignores an organization named in the query or in headers", async () => {
		const mine = await newOrganization();
		const victim = await newOrganization({
			private_metadata: {
				crm: { provider: "close", apiKey: "victim-key-000012345", connectedAt: "2024-01-15T10:30:00.000Z" },
			},
		});
		const token = await tokenFor(mine);
		const request = new Request(`${SETTINGS_URL}?orgId=${victim}&organization_id=${victim}`, {
			method: "DELETE",
			headers: {
				Authorization: `Bearer ${token}`,
				"X-Org-Id": victim,
				"X-Organization-Id": victim,
				"Clerk-Org-Id": victim,
			},
		});
		const response = await send(request);
		expect(response.status).toBe(200);
		expect(await clerkCalls(victim)).toEqual([]);
		expect((await clerkCalls(mine)).map((call) => call.path)).toEqual([`/v1/organizations/${mine}/metadata`]);
		expect((await organization(victim)).private_metadata).toMatchObject({
			crm: { apiKey: "victim-key-000012345" },
		});
	});

	it("refuses an organization named in the body", async () => {
		const mine = await newOrganization();
		const victim = await newOrganization();
		const response = await saveSettings({ token: await tokenFor(mine), body: { ...BODY, orgId: victim } });
		expect(response.status).toBe(400);
		expect(await clerkCalls(victim)).toEqual([]);
		expect(await clerkCalls(mine)).toEqual([]);
	});
});
