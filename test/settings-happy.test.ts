import { describe, expect, it } from "vitest";
import { NOT_CONNECTED } from "./constants.ts";
import { disconnect, errorBody, getSettings, saveSettings } from "./support/api.ts";
import { newOrganization, organization } from "./support/emulator.ts";
import { tokenFor } from "./support/tokens.ts";

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Saves a Bullhorn key as user_test of a fresh org; returns the whole GET body that follows, and the save's time. */
async function saveThenRead(apiKey: string, tokenOptions: Parameters<typeof tokenFor>[1] = {}) {
	const orgId = await newOrganization();
	const token = await tokenFor(orgId, tokenOptions);
	const saved = await saveSettings({ token, body: { provider: "bullhorn", apiKey } });
	expect(saved.status).toBe(200);
	const { connectedAt } = saved.body as { connectedAt: string };
	return { body: (await getSettings({ token })).body, connectedAt };
}

describe("GET when no CRM was ever connected", () => {
	it("answers connected:false, null provider and key, and no connectedAt", async () => {
		const orgId = await newOrganization();
		const response = await getSettings({ token: await tokenFor(orgId, { role: "org:member" }) });
		expect(response.status).toBe(200);
		expect(response.body).toEqual(NOT_CONNECTED);
	});
});

describe("POST, GET, DELETE", () => {
	it("connects Bullhorn, shows the masked key and who connected it, then disconnects", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId, { userId: "user_admin1" });

		const saved = await saveSettings({
			token,
			body: { provider: "bullhorn", apiKey: "bh-secret-key-0000abc1" },
		});
		expect(saved.status).toBe(200);
		expect(saved.body).toEqual({
			success: true,
			provider: "bullhorn",
			connectedAt: expect.stringMatching(ISO_MS),
		});
		const { connectedAt } = saved.body as { connectedAt: string };
		expect(Math.abs(Date.parse(connectedAt) - Date.now())).toBeLessThan(60_000);

		const read = await getSettings({ token });
		expect(read.status).toBe(200);
		expect(read.body).toEqual({
			connected: true,
			provider: "bullhorn",
			connectedAt,
			apiKeyMasked: "********************abc1",
			connectedBy: "user_admin1",
			status: "unverified",
		});

		const removed = await disconnect({ token });
		expect(removed.status).toBe(200);
		expect(removed.body).toEqual({ success: true, disconnected: true });
		expect((await organization(orgId)).private_metadata).toEqual({});
		expect((await getSettings({ token })).body).toEqual(NOT_CONNECTED);
	});

	it("connects Close and shows the key's shareable id, never its secret half", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId, { userId: "user_admin2" });
		const apiKey = "api_7b8KOSMa0OevK9qJvT6F9s.2H3Bt8ktGaQ9kVK45P7j7p";

		const saved = await saveSettings({ token, body: { provider: "close", apiKey } });
		expect(saved.body).toEqual({
			success: true,
			provider: "close",
			connectedAt: expect.stringMatching(ISO_MS),
		});

		const read = await getSettings({ token });
		expect(read.body).toEqual({
			connected: true,
			provider: "close",
			connectedAt: (saved.body as { connectedAt: string }).connectedAt,
			apiKeyMasked: "********************7j7p",
			apiKeyId: "api_7b8KOSMa0OevK9qJvT6F9s",
			connectedBy: "user_admin2",
			status: "unverified",
		});
	});

	it("masks a key shorter than 16 characters whole, as 24 asterisks", async () => {
		const { body, connectedAt } = await saveThenRead("short-key-1234");
		expect(body).toEqual({
			connected: true,
			provider: "bullhorn",
			connectedAt,
			apiKeyMasked: "*".repeat(24),
			connectedBy: "user_test",
			status: "unverified",
		});
	});

	it("shows the last 4 characters of a key of exactly 16 characters", async () => {
		const { body, connectedAt } = await saveThenRead("0123456789abWXYZ");
		expect(body).toEqual({
			connected: true,
			provider: "bullhorn",
			connectedAt,
			apiKeyMasked: "********************WXYZ",
			connectedBy: "user_test",
			status: "unverified",
		});
	});

	it("counts characters, not UTF-16 units: an emoji among the last 4 is shown whole", async () => {
		const read = (apiKeyMasked: string, connectedAt: string) => ({
			connected: true,
			provider: "bullhorn",
			connectedAt,
			apiKeyMasked,
			connectedBy: "user_test",
			status: "unverified",
		});
		const long = await saveThenRead("0123456789abcdefXY🔑Z");
		expect(long.body).toEqual(read("********************XY🔑Z", long.connectedAt));
		// 15 characters, though 16 UTF-16 units: too short to show any of it.
		const short = await saveThenRead("0123456789abc🔑");
		expect(short.body).toEqual(read("*".repeat(24), short.connectedAt));
	});

	it("drops whitespace pasted around the key", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId);
		const saved = await saveSettings({
			token,
			body: { provider: "bullhorn", apiKey: "  bh-secret-key-0000abc1 \t" },
		});
		const { connectedAt } = saved.body as { connectedAt: string };
		expect((await organization(orgId)).private_metadata).toEqual({
			crm: {
				provider: "bullhorn",
				apiKey: "bh-secret-key-0000abc1",
				apiKeyLast4: "abc1",
				connectedAt,
				connectedBy: "user_test",
				status: "unverified",
			},
		});
	});

	it("replaces the previous CRM on a second POST: one provider at a time", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId, { userId: "user_x" });
		await saveSettings({ token, body: { provider: "close", apiKey: "api_first0000000000.secret000000000" } });
		const second = await saveSettings({
			token,
			body: { provider: "bullhorn", apiKey: "bullhorn-key-00009999" },
		});

		const read = await getSettings({ token });
		expect(read.body).toEqual({
			connected: true,
			provider: "bullhorn",
			connectedAt: (second.body as { connectedAt: string }).connectedAt,
			apiKeyMasked: "********************9999",
			connectedBy: "user_x",
			status: "unverified",
		});
	});

	it("answers DELETE with success also when nothing was connected", async () => {
		const orgId = await newOrganization();
		const response = await disconnect({ token: await tokenFor(orgId) });
		expect(response.status).toBe(200);
		expect(response.body).toEqual({ success: true, disconnected: true });
	});

	it("accepts v1 session tokens (org_id, org_role claims) as well as v2", async () => {
		const { body, connectedAt } = await saveThenRead("bh-secret-key-0000abc1", {
			version: 1,
			role: "org:admin",
		});
		expect(body).toEqual({
			connected: true,
			provider: "bullhorn",
			connectedAt,
			apiKeyMasked: "********************abc1",
			connectedBy: "user_test",
			status: "unverified",
		});
	});
});

describe("headers of every settings response", () => {
	it("carries Cache-Control: no-store and an X-Request-Id, success or error", async () => {
		const orgId = await newOrganization();
		const ok = await getSettings({ token: await tokenFor(orgId) });
		const failed = await getSettings();
		for (const response of [ok, failed]) {
			expect(response.headers.get("Cache-Control")).toBe("no-store");
			expect(response.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
		}
	});

	it("echoes a well-formed X-Request-Id from the caller, for tracing", async () => {
		const response = await getSettings({ headers: { "X-Request-Id": "trace-abc_123" } });
		expect(response.headers.get("X-Request-Id")).toBe("trace-abc_123");
		expect(response.body).toEqual({
			error: "Organization ID required",
			code: "VALIDATION_ERROR",
			requestId: "trace-abc_123",
		});
	});

	it("replaces a malformed X-Request-Id rather than echoing it", async () => {
		const response = await getSettings({ headers: { "X-Request-Id": 'bad id" <script>' } });
		expect(response.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
		expect(response.body).toEqual(errorBody(response, "VALIDATION_ERROR", "Organization ID required"));
	});
});
