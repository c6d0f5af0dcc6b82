/**
 * Reads that spare Clerk: the per-organization settings cache, through the public API. Time is the
 * test's: the Worker passes its clock to the cache, and the tests set it (`vi.setSystemTime`). Where
 * Clerk fails, the Worker's retries wait on the fake clock of the in-process emulator instead of the
 * real one.
 */
import { afterEach, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { EXPECTED_MESSAGES, GOOD_CLOSE_API_KEY, NOT_CONNECTED } from "./constants.ts";
import { disconnect, errorBody, getSettings, saveSettings } from "./support/api.ts";
import { clerkCalls, newOrganization, queueClerkFaults, writeInClerk } from "./support/emulator.ts";
import { useInProcessEmulator } from "./support/in-process-emulator.ts";
import { captureLogs } from "./support/logs.ts";
import { tokenFor } from "./support/tokens.ts";

const TTL_MS = 30_000;
const STALE_IF_ERROR_MS = 300_000;
const STORED = {
	provider: "close",
	apiKey: "api_cached0000.secretcached0000000000",
	apiKeyLast4: "0000",
	apiKeyId: "api_cached0000",
	connectedAt: "2026-01-15T10:30:00.000Z",
	connectedBy: "user_before",
};
const STORED_BODY = {
	connected: true,
	provider: "close",
	connectedAt: "2026-01-15T10:30:00.000Z",
	apiKeyMasked: "********************0000",
	apiKeyId: "api_cached0000",
	connectedBy: "user_before",
	status: "unverified",
};

let clock = Date.UTC(2026, 11, 2, 12, 0, 0);
const advance = (ms: number) => {
	clock += ms;
	vi.setSystemTime(clock);
};

beforeEach(() => {
	vi.useFakeTimers({ toFake: ["Date"] });
	vi.setSystemTime(clock);
});
afterEach(() => {
	vi.useRealTimers();
});

const clerkReads = async (orgId: string) =>
	(await clerkCalls(orgId)).filter((call) => call.method === "GET").length;

describe("a GET answered from the cache", () => {
	it("asks Clerk once, then answers from the cache until the TTL has passed", async () => {
		const orgId = await newOrganization({ private_metadata: { crm: STORED } });
		const token = await tokenFor(orgId);
		for (let i = 0; i < 3; i++) {
			const response = await getSettings({ token });
			expect(response.status).toBe(200);
			expect(response.body).toEqual(STORED_BODY);
		}
		expect(await clerkReads(orgId)).toBe(1);
		// Every Backend API call pins Clerk's API version.
		expect((await clerkCalls(orgId)).map((call) => call.apiVersion)).toEqual(["2026-05-12"]);

		advance(TTL_MS - 1);
		await getSettings({ token });
		expect(await clerkReads(orgId)).toBe(1);

		advance(1);
		await getSettings({ token });
		expect(await clerkReads(orgId)).toBe(2);
	});

	it("shows a change made elsewhere (Clerk's dashboard, another service) once the TTL has passed", async () => {
		const orgId = await newOrganization({ private_metadata: { crm: STORED } });
		const token = await tokenFor(orgId);
		expect((await getSettings({ token })).body).toEqual(STORED_BODY);

		await writeInClerk(orgId, { crm: null });
		advance(TTL_MS - 1);
		expect((await getSettings({ token })).body).toEqual(STORED_BODY);
		advance(1);
		expect((await getSettings({ token })).body).toEqual(NOT_CONNECTED);
	});

	it("keeps organizations apart: each has its own copy", async () => {
		const connected = await newOrganization({ private_metadata: { crm: STORED } });
		const empty = await newOrganization();
		expect((await getSettings({ token: await tokenFor(connected) })).body).toEqual(STORED_BODY);
		expect((await getSettings({ token: await tokenFor(empty) })).body).toEqual(NOT_CONNECTED);
	});

	it("with CRM_CACHE_TTL_SECONDS=0 asks Clerk on every GET", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId);
		for (let i = 0; i < 3; i++) await getSettings({ token, env: { CRM_CACHE_TTL_SECONDS: "0" } });
		expect(await clerkReads(orgId)).toBe(3);
	});
});

describe("read-your-writes", () => {
	it("the writer's next GET shows a POST at once, without asking Clerk", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId);
		expect((await getSettings({ token })).body).toEqual(NOT_CONNECTED);

		const saved = await saveSettings({ token, body: { provider: "close", apiKey: GOOD_CLOSE_API_KEY } });
		expect(saved.status).toBe(200);
		const response = await getSettings({ token });
		expect(response.body).toEqual({
			connected: true,
			provider: "close",
			connectedAt: new Date(clock).toISOString(),
			apiKeyMasked: "********************7j7p",
			apiKeyId: "api_7b8KOSMa0OevK9qJvT6F9s",
			connectedBy: "user_test",
			status: "unverified",
		});
		expect(await clerkReads(orgId)).toBe(1);
	});

	it("the writer's next GET shows a DELETE at once, without asking Clerk", async () => {
		const orgId = await newOrganization({ private_metadata: { crm: STORED } });
		const token = await tokenFor(orgId);
		expect((await getSettings({ token })).body).toEqual(STORED_BODY);
		expect((await disconnect({ token })).status).toBe(200);
		expect((await getSettings({ token })).body).toEqual(NOT_CONNECTED);
		expect(await clerkReads(orgId)).toBe(1);
	});

	it("a write whose outcome is unknown (Clerk unavailable) makes the next GET ask Clerk, once Clerk's wait is over", async () => {
		const clock = useInProcessEmulator();
		const orgId = await newOrganization({ private_metadata: { crm: STORED } });
		const token = await tokenFor(orgId, { expiresInSeconds: 3600 });
		await getSettings({ token });
		await queueClerkFaults(orgId, [{ status: 503 }, { status: 503 }, { status: 503 }]);
		expect((await clock.timed(() => disconnect({ token }))).value.status).toBe(503);
		// Clerk may have applied the DELETE: no copy is served, and Clerk is left alone for its 10 s.
		const { value: waiting } = await clock.timed(() => getSettings({ token }));
		expect(waiting.status).toBe(503);
		expect(Number(waiting.headers.get("Retry-After"))).toBeLessThanOrEqual(10);
		expect(await clerkReads(orgId)).toBe(1);
		clock.setTime(Date.now() + 10_000);
		expect((await clock.timed(() => getSettings({ token }))).value.body).toEqual(STORED_BODY);
		expect(await clerkReads(orgId)).toBe(2);
	});

	it("a write Clerk refused leaves the cached copy as it was", async () => {
		const orgId = await newOrganization({ private_metadata: { crm: STORED } });
		const token = await tokenFor(orgId);
		await getSettings({ token });
		await queueClerkFaults(orgId, [{ kind: "metadata-limit" }]);
		expect((await disconnect({ token })).status).toBe(400);
		expect((await getSettings({ token })).body).toEqual(STORED_BODY);
	});
});

describe("Clerk throttling or failing", () => {
	const CLERK_DOWN = [{ status: 503 }, { status: 503 }, { status: 503 }];
	// Valid across the minutes these tests move the clock by.
	const longLivedToken = (orgId: string) => tokenFor(orgId, { expiresInSeconds: 3600 });

	it("a GET for an organization read recently answers its last known settings, and the log says so", async () => {
		const clock = useInProcessEmulator();
		const orgId = await newOrganization({ private_metadata: { crm: STORED } });
		const token = await longLivedToken(orgId);
		await getSettings({ token });

		advance(STALE_IF_ERROR_MS - 1);
		await queueClerkFaults(orgId, CLERK_DOWN);
		const logs = captureLogs();
		const { value: response } = await clock.timed(() => getSettings({ token }));
		expect(response.status).toBe(200);
		expect(response.body).toEqual(STORED_BODY);
		expect(logs.entries()).toEqual([
			{
				level: "warn",
				msg: "served stale settings",
				ageSeconds: 299,
				cause: {
					msg: "upstream failure",
					service: "clerk",
					problem: "clerk: HTTP 503",
					upstreamStatus: 503,
					attempts: 3,
				},
				requestId: response.headers.get("X-Request-Id"),
			},
		]);
	});

	it("past CRM_CACHE_STALE_IF_ERROR_SECONDS it answers 503 with Retry-After", async () => {
		const clock = useInProcessEmulator();
		const orgId = await newOrganization({ private_metadata: { crm: STORED } });
		const token = await longLivedToken(orgId);
		await getSettings({ token });

		advance(STALE_IF_ERROR_MS);
		await queueClerkFaults(orgId, CLERK_DOWN);
		const { value: response } = await clock.timed(() => getSettings({ token }));
		expect(response.status).toBe(503);
		expect(response.headers.get("Retry-After")).toBe("10");
		expect(response.body).toEqual(
			errorBody(response, "UPSTREAM_UNAVAILABLE", EXPECTED_MESSAGES.clerkUnavailable),
		);
	});

	it("never serves a stale copy for a failure retrying cannot fix (Clerk refusing the secret)", async () => {
		const orgId = await newOrganization({ private_metadata: { crm: STORED } });
		const token = await longLivedToken(orgId);
		await getSettings({ token });
		advance(TTL_MS);
		const response = await getSettings({ token, env: { CLERK_SECRET_KEY: "sk_test_rotated_away" } });
		expect(response.status).toBe(500);
	});
});

describe("a flood of GETs from one token", () => {
	it("makes one Clerk call, and other organizations keep being answered", async () => {
		const flooded = await newOrganization({ private_metadata: { crm: STORED } });
		const other = await newOrganization();
		const token = await tokenFor(flooded);
		const flood = Array.from({ length: 200 }, () => getSettings({ token }));
		const otherResponse = await getSettings({ token: await tokenFor(other) });
		const responses = await Promise.all(flood);

		expect(responses.every((response) => response.status === 200)).toBe(true);
		expect(otherResponse.body).toEqual(NOT_CONNECTED);
		expect(await clerkReads(flooded)).toBe(1);
		expect(await clerkReads(other)).toBe(1);
	});
});

describe("a flood of GETs against a Clerk that enforces a development instance's limit", () => {
	it("stays inside 100 requests per 10 s: every GET answered, one Clerk call per organization", async () => {
		const clerk = inject("limitedEmulatorUrl");
		const seed = async (privateMetadata: Record<string, unknown>) => {
			const id = `org_${crypto.randomUUID().replaceAll("-", "")}`;
			await fetch(`${clerk}/__emulator/organizations`, {
				method: "POST",
				body: JSON.stringify({ id, private_metadata: privateMetadata }),
			});
			return id;
		};
		const flooded = await seed({ crm: STORED });
		const others = await Promise.all(Array.from({ length: 20 }, () => seed({})));
		const env = { CLERK_API_URL: clerk };
		const token = await tokenFor(flooded);

		const flood = Array.from({ length: 200 }, () => getSettings({ token, env }));
		const otherAnswers = await Promise.all(
			others.map(async (orgId) => getSettings({ token: await tokenFor(orgId), env })),
		);
		const floodAnswers = await Promise.all(flood);

		expect(new Set(floodAnswers.map((response) => response.status))).toEqual(new Set([200]));
		expect(floodAnswers[0]?.body).toEqual(STORED_BODY);
		expect(otherAnswers.map((response) => response.body)).toEqual(others.map(() => NOT_CONNECTED));
		const { calls } = (await (await fetch(`${clerk}/__emulator/calls`)).json()) as {
			calls: { target: string }[];
		};
		const mine = calls.filter((call) => call.target === flooded || others.includes(call.target));
		expect(mine).toHaveLength(1 + others.length);
	});
});
