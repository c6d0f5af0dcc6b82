import { describe, expect, inject, it, onTestFinished, vi } from "vitest";
import { backoff, fetchWithRetry, parseRetryAfter, type RetryPolicy } from "../src/http/fetch-with-retry.ts";
import { TEST_CLERK_SECRET_KEY } from "./constants.ts";
import { clerkCalls, newOrganization, queueClerkFaults } from "./support/emulator.ts";

describe("parseRetryAfter", () => {
	const now = Date.parse("Sun, 06 Nov 1994 08:49:30 GMT");

	it.each([
		["2", 2000],
		[" 0 ", 0],
		["120", 120_000],
		["Sun, 06 Nov 1994 08:49:37 GMT", 7000],
		["Sun, 06 Nov 1994 08:49:00 GMT", 0],
	])("reads %j as %i ms", (value, ms) => {
		expect(parseRetryAfter(value, now)).toBe(ms);
	});

	it.each([
		[null],
		[""],
		["1.5"],
		["-1"],
		["soon"],
		["Sunday, 06-Nov-94 08:49:37 GMT"],
		["1994-11-06T08:49:37Z"],
	])("ignores %j", (value) => {
		expect(parseRetryAfter(value, now)).toBeUndefined();
	});
});

describe("backoff", () => {
	it("doubles with each attempt and stays in the upper half of each step", () => {
		expect([1, 2, 3].map((attempt) => backoff(100, attempt, () => 0))).toEqual([50, 100, 200]);
		expect([1, 2, 3].map((attempt) => backoff(100, attempt, () => 0.999999))).toEqual([100, 200, 400]);
	});
});

describe("the attempt timeout", () => {
	it("covers reading the body: a body that stalls is a timeout, retried, and no timer outlives its attempt", async () => {
		vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
		const policy: RetryPolicy = {
			attemptTimeoutMs: 2500,
			totalBudgetMs: 5000,
			maxAttempts: 3,
			baseDelayMs: 100,
		};
		let calls = 0;
		vi.stubGlobal("fetch", async (_request: Request, init?: RequestInit) => {
			calls++;
			if (calls > 1) return new Response('{"ok":true}');
			// The headers at once, then a body that never comes, and fails when the signal aborts (as fetch's does).
			const signal = init?.signal as AbortSignal;
			const body = new ReadableStream({
				start(controller) {
					signal.addEventListener("abort", () => controller.error(signal.reason));
				},
			});
			return new Response(body);
		});
		onTestFinished(() => {
			vi.useRealTimers();
			vi.unstubAllGlobals();
		});
		const answer = fetchWithRetry("clerk", () => new Request("https://clerk.invalid/"), policy);
		await vi.advanceTimersByTimeAsync(policy.attemptTimeoutMs - 1);
		expect(calls).toBe(1);
		// The timeout, then at most the first backoff.
		await vi.advanceTimersByTimeAsync(1 + policy.baseDelayMs);
		const response = await answer;
		expect(await response.json()).toEqual({ ok: true });
		expect(calls).toBe(2);
		expect(vi.getTimerCount()).toBe(0);
	});
});

/** A policy short enough to wait out on the real clock. */
const QUICK: RetryPolicy = { attemptTimeoutMs: 100, totalBudgetMs: 2000, maxAttempts: 2, baseDelayMs: 10 };

/** A read of `orgId` from the loopback emulator, as the organization store makes it. */
const readOrganization = (orgId: string) => () =>
	new Request(`${inject("emulatorUrl")}/v1/organizations/${orgId}`, {
		headers: { Authorization: `Bearer ${TEST_CLERK_SECRET_KEY}` },
	});

// The two faults the in-process emulator (test/support/in-process-emulator.ts) imitates, played over
// workerd's real fetch to the loopback emulator: the real transport fails the way the in-process one
// does — a timeout at the attempt's own timer, a lost connection as a network error.
describe("fetchWithRetry over real HTTP", () => {
	it("abandons an attempt that hangs when its timeout fires, and the retry succeeds", async () => {
		const orgId = await newOrganization();
		await queueClerkFaults(orgId, [{ kind: "hang" }]);
		const started = performance.now();
		const response = await fetchWithRetry("clerk", readOrganization(orgId), QUICK);
		expect(response.status).toBe(200);
		expect(await response.json()).toMatchObject({ object: "organization", id: orgId });
		expect(await clerkCalls(orgId)).toHaveLength(2);
		expect(performance.now() - started).toBeGreaterThanOrEqual(QUICK.attemptTimeoutMs);
	});

	it("gives up on hanging attempts as timed out", async () => {
		const orgId = await newOrganization();
		await queueClerkFaults(orgId, [{ kind: "hang" }, { kind: "hang" }]);
		await expect(fetchWithRetry("clerk", readOrganization(orgId), QUICK)).rejects.toMatchObject({
			kind: "unavailable",
			message: "clerk: timed out",
			upstream: { service: "clerk", attempts: 2 },
		});
	});

	// One connection only: workerd reports each lost connection in the test output.
	it("takes a dropped connection for a network error", async () => {
		const orgId = await newOrganization();
		await queueClerkFaults(orgId, [{ kind: "drop" }]);
		const error = await fetchWithRetry("clerk", readOrganization(orgId), { ...QUICK, maxAttempts: 1 }).catch(
			(thrown: unknown) => thrown,
		);
		expect(error).toMatchObject({
			kind: "unavailable",
			message: "clerk: network error",
			upstream: { service: "clerk", attempts: 1 },
		});
		expect((error as { upstream: object }).upstream).not.toHaveProperty("status");
		expect(await clerkCalls(orgId)).toHaveLength(1);
	});
});
