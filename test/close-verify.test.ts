import { describe, expect, it } from "vitest";
import { CLOSE_RETRY_POLICY } from "../src/close/close-client.ts";
import { EXPECTED_MESSAGES } from "./constants.ts";
import { type ApiResponse, errorBody, getSettings, saveSettings } from "./support/api.ts";
import {
	clerkCalls,
	closeCalls,
	newCloseApiKey,
	newOrganization,
	organization,
	queueCloseFaults,
} from "./support/emulator.ts";
import { useInProcessEmulator } from "./support/in-process-emulator.ts";
import { captureLogs } from "./support/logs.ts";
import { tokenFor } from "./support/tokens.ts";

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The n-th backoff of CLOSE_RETRY_POLICY: the base doubled n - 1 times, drawn from the upper half of that. */
function backoff(n: number): [number, number] {
	const step = CLOSE_RETRY_POLICY.baseDelayMs * 2 ** (n - 1);
	return [step / 2, step];
}

/** The 503 of a Close that could not be reached, and its log line naming what failed. */
function expectUnreachable(response: ApiResponse, logged: Record<string, unknown>[], failure: object) {
	expect(response.status).toBe(503);
	expect(response.body).toEqual(
		errorBody(response, "UPSTREAM_UNAVAILABLE", EXPECTED_MESSAGES.closeUnreachableOnSave),
	);
	expect(response.headers.get("Retry-After")).toBe("30");
	expect(logged[0]).toEqual({
		level: "error",
		msg: "upstream failure",
		service: "close",
		...failure,
		requestId: response.headers.get("X-Request-Id"),
	});
}

async function admin() {
	const orgId = await newOrganization();
	return { orgId, token: await tokenFor(orgId, { userId: "user_verifier" }) };
}

describe("POST with verify: true for Close", () => {
	it("checks the key with one GET /api/v1/me/ (Basic auth), then saves it as verified", async () => {
		const { orgId, token } = await admin();
		const apiKey = await newCloseApiKey();
		const saved = await saveSettings({ token, body: { provider: "close", apiKey, verify: true } });
		expect(saved.status).toBe(200);
		expect(saved.body).toEqual({
			success: true,
			provider: "close",
			connectedAt: expect.stringMatching(ISO_MS),
			verified: true,
		});
		const { connectedAt } = saved.body as { connectedAt: string };
		expect(await closeCalls(apiKey)).toEqual([
			{ service: "close", method: "GET", path: "/api/v1/me/", target: apiKey.split(".")[0] },
		]);
		expect((await organization(orgId)).private_metadata).toMatchObject({ crm: { verifiedAt: connectedAt } });
		expect((await getSettings({ token })).body).toEqual({
			connected: true,
			provider: "close",
			connectedAt,
			apiKeyMasked: `${"*".repeat(20)}${apiKey.slice(-4)}`,
			apiKeyId: apiKey.split(".")[0],
			connectedBy: "user_verifier",
			verifiedAt: connectedAt,
			status: "verified",
			checkedAt: connectedAt,
		});
	});

	it.each([
		[401, { status: 401 }],
		[403, { status: 403 }],
	])("a key Close refuses (%i) → 400 'Close rejected the API key', nothing saved", async (_status, fault) => {
		const { orgId, token } = await admin();
		const apiKey = await newCloseApiKey();
		await queueCloseFaults(apiKey, [fault]);
		const response = await saveSettings({ token, body: { provider: "close", apiKey, verify: true } });
		expect(response.status).toBe(400);
		expect(response.body).toEqual(
			errorBody(response, "VALIDATION_ERROR", "Close rejected the API key", [
				{ path: "apiKey", message: "Close rejected the API key" },
			]),
		);
		expect(await clerkCalls(orgId)).toEqual([]);
	});

	it("an unknown key → 400 as well (the stand-in answers 401 like Close)", async () => {
		const { orgId, token } = await admin();
		const response = await saveSettings({
			token,
			body: { provider: "close", apiKey: "api_unknown000000.nosuchsecret0000", verify: true },
		});
		expect(response.status).toBe(400);
		expect(response.body).toEqual(
			errorBody(response, "VALIDATION_ERROR", "Close rejected the API key", [
				{ path: "apiKey", message: "Close rejected the API key" },
			]),
		);
		expect(await clerkCalls(orgId)).toEqual([]);
	});

	it("Close answering something unexpected (404) → 500, nothing saved, a log line", async () => {
		const logs = captureLogs();
		const { orgId, token } = await admin();
		const apiKey = await newCloseApiKey();
		await queueCloseFaults(apiKey, [{ status: 404 }]);
		const response = await saveSettings({ token, body: { provider: "close", apiKey, verify: true } });
		expect(response.status).toBe(500);
		expect(response.body).toEqual(errorBody(response, "INTERNAL_ERROR", "Internal server error"));
		expect(await clerkCalls(orgId)).toEqual([]);
		expect(logs.entries()[0]).toEqual({
			level: "error",
			msg: "upstream failure",
			service: "close",
			problem: "close: GET /api/v1/me/ answered HTTP 404",
			upstreamStatus: 404,
			attempts: 1,
			requestId: response.headers.get("X-Request-Id"),
		});
	});
});

// Retries and timeouts on the fake clock of the in-process emulator: each answer takes exactly the time
// CLOSE_RETRY_POLICY gives it (2 s per attempt, 3 s in all, backoff from 100 ms), and none of it is waited.
describe("POST with verify: true when Close fails", () => {
	it("Close answering 5xx then OK → retried after one backoff, saved as verified", async () => {
		const clock = useInProcessEmulator();
		const { orgId, token } = await admin();
		const apiKey = await newCloseApiKey();
		await queueCloseFaults(apiKey, [{ status: 503 }]);
		const { value: response, elapsedMs } = await clock.timed(() =>
			saveSettings({ token, body: { provider: "close", apiKey, verify: true } }),
		);
		expect(response.status).toBe(200);
		const { connectedAt } = response.body as { connectedAt: string };
		expect(response.body).toEqual({ success: true, provider: "close", connectedAt, verified: true });
		expect(await closeCalls(apiKey)).toHaveLength(2);
		expect((await organization(orgId)).private_metadata).toMatchObject({ crm: { verifiedAt: connectedAt } });
		const [least, most] = backoff(1);
		expect(elapsedMs).toBeGreaterThanOrEqual(least);
		expect(elapsedMs).toBeLessThanOrEqual(most);
	});

	it("Close unreachable → 503 UPSTREAM_UNAVAILABLE with Retry-After after 3 attempts, nothing saved, a log line", async () => {
		const clock = useInProcessEmulator();
		const logs = captureLogs();
		const { orgId, token } = await admin();
		const apiKey = await newCloseApiKey();
		await queueCloseFaults(apiKey, [{ status: 502 }, { status: 503 }, { status: 500 }]);
		const { value: response, elapsedMs } = await clock.timed(() =>
			saveSettings({ token, body: { provider: "close", apiKey, verify: true } }),
		);
		expectUnreachable(response, logs.entries(), {
			problem: "close: HTTP 500",
			upstreamStatus: 500,
			attempts: 3,
		});
		expect(await closeCalls(apiKey)).toHaveLength(3);
		expect(await clerkCalls(orgId)).toEqual([]);
		expect(elapsedMs).toBeGreaterThanOrEqual(backoff(1)[0] + backoff(2)[0]);
		expect(elapsedMs).toBeLessThanOrEqual(backoff(1)[1] + backoff(2)[1]);
	});

	it("Close hanging → 503 when its 3 s budget is spent: two attempts, the second cut to what is left", async () => {
		const clock = useInProcessEmulator();
		const logs = captureLogs();
		const { orgId, token } = await admin();
		const apiKey = await newCloseApiKey();
		await queueCloseFaults(apiKey, [{ kind: "hang" }, { kind: "hang" }]);
		const { value: response, elapsedMs } = await clock.timed(() =>
			saveSettings({ token, body: { provider: "close", apiKey, verify: true } }),
		);
		expectUnreachable(response, logs.entries(), {
			problem: "close: timed out",
			upstreamStatus: null,
			attempts: 2,
		});
		expect(await closeCalls(apiKey)).toHaveLength(2);
		expect(await clerkCalls(orgId)).toEqual([]);
		expect(elapsedMs).toBe(CLOSE_RETRY_POLICY.totalBudgetMs);
	});
});

describe("POST without verify", () => {
	it.each([[false], [undefined]])("verify %s → no call to Close, no verified field", async (verify) => {
		const { orgId, token } = await admin();
		const apiKey = await newCloseApiKey();
		const response = await saveSettings({ token, body: { provider: "close", apiKey, verify } });
		expect(response.body).toEqual({
			success: true,
			provider: "close",
			connectedAt: expect.stringMatching(ISO_MS),
		});
		expect(await closeCalls(apiKey)).toEqual([]);
		expect((await organization(orgId)).private_metadata).not.toHaveProperty("crm.verifiedAt");
	});

	it("a later unverified save clears an earlier verifiedAt", async () => {
		const { orgId, token } = await admin();
		const apiKey = await newCloseApiKey();
		await saveSettings({ token, body: { provider: "close", apiKey, verify: true } });
		await saveSettings({ token, body: { provider: "close", apiKey } });
		expect((await organization(orgId)).private_metadata).not.toHaveProperty("crm.verifiedAt");
		expect((await getSettings({ token })).body).not.toHaveProperty("verifiedAt");
	});
});

describe("verify for Bullhorn and malformed verify", () => {
	it("verify: true for Bullhorn → 400 explaining why, nothing called", async () => {
		const { orgId, token } = await admin();
		const response = await saveSettings({
			token,
			body: { provider: "bullhorn", apiKey: "bh-secret-key-0000abc1", verify: true },
		});
		expect(response.status).toBe(400);
		expect(response.body).toEqual(
			errorBody(response, "VALIDATION_ERROR", "Request body is invalid", [
				{
					path: "verify",
					message: `${EXPECTED_MESSAGES.bullhornUncheckable}; save without verify`,
				},
			]),
		);
		expect(await clerkCalls(orgId)).toEqual([]);
	});

	it("verify that is not a boolean → 400 naming it", async () => {
		const { token } = await admin();
		const response = await saveSettings({
			token,
			body: { provider: "close", apiKey: "k".repeat(20), verify: "yes" },
		});
		expect(response.status).toBe(400);
		expect(response.body).toEqual(
			errorBody(response, "VALIDATION_ERROR", "Request body is invalid", [
				{ path: "verify", message: "verify must be true or false" },
			]),
		);
	});
});
