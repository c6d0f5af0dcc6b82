/**
 * What the Worker does with upstream answers that could lead it astray: a redirect is never followed
 * (Clerk's secret or a CRM key must not travel elsewhere, and `verify` must not report success from
 * one), and Clerk's 409 `resource_locked` is retried like the conflict it is.
 */
import { describe, expect, it } from "vitest";
import { EXPECTED_MESSAGES, GOOD_CLOSE_API_KEY } from "./constants.ts";
import { errorBody, getSettings, saveSettings } from "./support/api.ts";
import {
	clerkCalls,
	closeCalls,
	newCloseApiKey,
	newOrganization,
	organization,
	queueClerkFaults,
	queueCloseFaults,
} from "./support/emulator.ts";
import { useInProcessEmulator } from "./support/in-process-emulator.ts";
import { captureLogs } from "./support/logs.ts";
import { tokenFor } from "./support/tokens.ts";

describe("redirects are never followed", () => {
	it("a Clerk read answered with a redirect → 500, one call, nothing fetched from the Location", async () => {
		const orgId = await newOrganization();
		const elsewhere = await newOrganization({ private_metadata: { crm: { provider: "close" } } });
		await queueClerkFaults(orgId, [{ kind: "redirect", location: `/v1/organizations/${elsewhere}` }]);
		const logs = captureLogs();
		const response = await getSettings({ token: await tokenFor(orgId) });
		expect(response.status).toBe(500);
		expect(response.body).toEqual(errorBody(response, "INTERNAL_ERROR", "Internal server error"));
		expect(await clerkCalls(orgId)).toHaveLength(1);
		expect(await clerkCalls(elsewhere)).toEqual([]);
		expect(logs.entries()[0]).toEqual({
			level: "error",
			msg: "upstream failure",
			service: "clerk",
			problem: "clerk: GET /organizations/{id} answered HTTP 302",
			upstreamStatus: 302,
			attempts: 1,
			requestId: response.headers.get("X-Request-Id"),
		});
	});

	it("a Close verify answered with a redirect is no success: 500, nothing saved", async () => {
		const orgId = await newOrganization();
		const apiKey = await newCloseApiKey();
		await queueCloseFaults(apiKey, [{ kind: "redirect", location: "/api/v1/me/" }]);
		const response = await saveSettings({
			token: await tokenFor(orgId),
			body: { provider: "close", apiKey, verify: true },
		});
		expect(response.status).toBe(500);
		expect(response.body).toEqual(errorBody(response, "INTERNAL_ERROR", "Internal server error"));
		expect(await closeCalls(apiKey)).toHaveLength(1);
		expect((await organization(orgId)).private_metadata).toEqual({});
	});
});

// The retries' backoff passes on the in-process emulator's fake clock instead of being waited out.
describe("Clerk's 409 resource_locked", () => {
	it("is retried: a write that meets another one once still succeeds", async () => {
		const clock = useInProcessEmulator();
		const orgId = await newOrganization();
		await queueClerkFaults(orgId, [{ kind: "locked" }]);
		const token = await tokenFor(orgId);
		const { value: response } = await clock.timed(() =>
			saveSettings({ token, body: { provider: "close", apiKey: GOOD_CLOSE_API_KEY } }),
		);
		expect(response.status).toBe(200);
		expect((await clerkCalls(orgId)).map((call) => call.method)).toEqual(["PATCH", "PATCH"]);
		expect((await organization(orgId)).private_metadata).toMatchObject({ crm: { provider: "close" } });
	});

	it("if it persists past the retry budget: 503 UPSTREAM_UNAVAILABLE, nothing written", async () => {
		const clock = useInProcessEmulator();
		const orgId = await newOrganization();
		await queueClerkFaults(orgId, [{ kind: "locked" }, { kind: "locked" }, { kind: "locked" }]);
		const token = await tokenFor(orgId);
		const { value: response } = await clock.timed(() =>
			saveSettings({ token, body: { provider: "close", apiKey: GOOD_CLOSE_API_KEY } }),
		);
		expect(response.status).toBe(503);
		expect(response.headers.get("Retry-After")).toBe("10");
		expect(response.body).toEqual(
			errorBody(response, "UPSTREAM_UNAVAILABLE", EXPECTED_MESSAGES.clerkUnavailable),
		);
		expect((await clerkCalls(orgId)).map((call) => call.method)).toEqual(["PATCH", "PATCH", "PATCH"]);
		expect((await organization(orgId)).private_metadata).toEqual({});
	});
});
