/**
 * The per-organization write limit (10 a minute), counted by the organization's owner. Time is the
 * test's: the Worker passes its clock to the owner, and the tests set it.
 */

import { exports } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EXPECTED_MESSAGES, GOOD_CLOSE_API_KEY } from "./constants.ts";
import { disconnect, errorBody, getSettings, recheck, saveSettings } from "./support/api.ts";
import { clerkCalls, newOrganization } from "./support/emulator.ts";
import { useInProcessEmulator } from "./support/in-process-emulator.ts";
import { tokenFor } from "./support/tokens.ts";

const BODY = { provider: "bullhorn", apiKey: "bh-secret-key-0000abc1" };
const LIMITED = EXPECTED_MESSAGES.tooManyWrites;

/** The clock stands still unless a test moves it: windows and `Retry-After` come out exact. */
const clock = Date.UTC(2026, 11, 6, 9, 0, 0);
beforeEach(() => {
	vi.useFakeTimers({ toFake: ["Date"] });
	vi.setSystemTime(clock);
});
afterEach(() => {
	vi.useRealTimers();
});

/** A new organization and an admin token that outlives the minutes these tests move the clock by. */
async function adminOfNewOrganization() {
	const orgId = await newOrganization();
	return { orgId, token: await tokenFor(orgId, { expiresInSeconds: 3600 }) };
}

describe("per-organization write limit (10 a minute)", () => {
	it("the 11th write of a minute → 429 RATE_LIMITED with Retry-After until a slot frees, and Clerk is not called", async () => {
		// Clerk's own limit (10 metadata writes per 10 s) counts on the same clock as the owner's here.
		const emulator = useInProcessEmulator();
		const { orgId, token } = await adminOfNewOrganization();
		const at = async <T>(ms: number, request: () => Promise<T>) => {
			emulator.setTime(ms);
			return (await emulator.timed(request)).value;
		};
		for (let i = 0; i < 5; i++) {
			expect((await at(clock + 2000 * i, () => saveSettings({ token, body: BODY }))).status).toBe(200);
			expect((await at(clock + 2000 * i + 1000, () => disconnect({ token }))).status).toBe(200);
		}
		const refused = await at(clock + 10_000, () => saveSettings({ token, body: BODY }));
		expect(refused.status).toBe(429);
		expect(refused.body).toEqual(errorBody(refused, "RATE_LIMITED", LIMITED));
		// The first write was 10 s ago: its slot frees in 50 s.
		expect(refused.headers.get("Retry-After")).toBe("50");
		expect((await at(clock + 10_000, () => disconnect({ token }))).status).toBe(429);
		expect((await at(clock + 10_000, () => recheck({ token }))).status).toBe(429);
		expect(await clerkCalls(orgId)).toHaveLength(10);

		const almost = await at(clock + 59_999, () => disconnect({ token }));
		expect(almost.headers.get("Retry-After")).toBe("1");
		expect((await at(clock + 60_000, () => saveSettings({ token, body: BODY }))).status).toBe(200);
	});

	it("never limits reads", async () => {
		const { token } = await adminOfNewOrganization();
		for (let i = 0; i < 10; i++) await disconnect({ token });
		expect((await disconnect({ token })).status).toBe(429);
		for (let i = 0; i < 12; i++) expect((await getSettings({ token })).status).toBe(200);
	});

	it("counts per organization: another org keeps its own allowance", async () => {
		const busy = await adminOfNewOrganization();
		for (let i = 0; i < 10; i++) await disconnect({ token: busy.token });
		expect((await disconnect({ token: busy.token })).status).toBe(429);
		const calm = await adminOfNewOrganization();
		expect((await saveSettings({ token: calm.token, body: BODY })).status).toBe(200);
	});

	it("counts exactly, however the writes arrive: 30 at once → 10 written, 20 refused", async () => {
		const { orgId, token } = await adminOfNewOrganization();
		const answers = await Promise.all(Array.from({ length: 30 }, () => disconnect({ token })));
		const statuses = answers.map((response) => response.status);
		expect(statuses.filter((status) => status === 200)).toHaveLength(10);
		expect(statuses.filter((status) => status === 429)).toHaveLength(20);
		expect(await clerkCalls(orgId)).toHaveLength(10);
	});

	it("does not count writes refused before reaching the owner (bad body, wrong role)", async () => {
		const { token, orgId } = await adminOfNewOrganization();
		const member = await tokenFor(orgId, { role: "org:member", expiresInSeconds: 3600 });
		for (let i = 0; i < 10; i++) {
			expect((await saveSettings({ token, body: { provider: "nope" } })).status).toBe(400);
			expect((await disconnect({ token: member })).status).toBe(403);
		}
		expect((await saveSettings({ token, body: BODY })).status).toBe(200);
	});

	it("counts a service's rejection report only when it writes, against the same allowance", async () => {
		const { orgId, token } = await adminOfNewOrganization();
		const saved = await saveSettings({ token, body: { provider: "close", apiKey: GOOD_CLOSE_API_KEY } });
		const { connectedAt } = saved.body as { connectedAt: string };
		for (let i = 0; i < 8; i++) await getSettings({ token });
		const report = () =>
			exports.CrmCredentials.reportRejected(orgId, { connectedAt, reason: "unauthorized" });
		expect(await report()).toBe(true);
		// Already rejected: nothing to write, nothing counted.
		for (let i = 0; i < 20; i++) expect(await report()).toBe(true);
		for (let i = 0; i < 8; i++) expect((await recheck({ token })).status).toBe(200);
		expect((await recheck({ token })).status).toBe(429);
	});
});
