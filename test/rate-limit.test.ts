import { describe, expect, it } from "vitest";
import { disconnect, errorBody, getSettings, saveSettings } from "./support/api.ts";
import { clerkCalls, newOrganization } from "./support/emulator.ts";
import { tokenFor } from "./support/tokens.ts";
import { inOneWriteLimitWindow } from "./support/write-limit.ts";

const BODY = { provider: "bullhorn", apiKey: "bh-secret-key-0000abc1" };
const LIMITED = "Too many changes to this organization's CRM settings; try again in a minute";

describe("per-organization write limit (10 a minute)", () => {
	it("the 11th write of a minute → 429 RATE_LIMITED with Retry-After, and Clerk is not called", async () => {
		await inOneWriteLimitWindow(async () => {
			const orgId = await newOrganization();
			const token = await tokenFor(orgId);
			for (let i = 0; i < 5; i++) {
				expect((await saveSettings({ token, body: BODY })).status).toBe(200);
				expect((await disconnect({ token })).status).toBe(200);
			}
			const refused = await saveSettings({ token, body: BODY });
			expect(refused.status).toBe(429);
			expect(refused.body).toEqual(errorBody(refused, "RATE_LIMITED", LIMITED));
			expect(refused.headers.get("Retry-After")).toBe("60");
			expect((await disconnect({ token })).status).toBe(429);
			expect(await clerkCalls(orgId)).toHaveLength(10);
		});
	});

	it("never limits reads", async () => {
		await inOneWriteLimitWindow(async () => {
			const orgId = await newOrganization();
			const token = await tokenFor(orgId);
			for (let i = 0; i < 10; i++) await disconnect({ token });
			expect((await disconnect({ token })).status).toBe(429);
			for (let i = 0; i < 12; i++) expect((await getSettings({ token })).status).toBe(200);
		});
	});

	it("counts per organization: another org keeps its own allowance", async () => {
		await inOneWriteLimitWindow(async () => {
			const busyToken = await tokenFor(await newOrganization());
			for (let i = 0; i < 10; i++) await disconnect({ token: busyToken });
			expect((await disconnect({ token: busyToken })).status).toBe(429);
			const calm = await newOrganization();
			expect((await saveSettings({ token: await tokenFor(calm), body: BODY })).status).toBe(200);
		});
	});

	it("does not count writes refused before reaching Clerk (bad body, wrong role)", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId);
		const member = await tokenFor(orgId, { role: "org:member" });
		for (let i = 0; i < 10; i++) {
			expect((await saveSettings({ token, body: { provider: "nope" } })).status).toBe(400);
			expect((await disconnect({ token: member })).status).toBe(403);
		}
		expect((await saveSettings({ token, body: BODY })).status).toBe(200);
	});
});
