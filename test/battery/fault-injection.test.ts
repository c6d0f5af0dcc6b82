/**
 * Fault injection: every fault the emulator can play, on GET, POST and DELETE, once (then Clerk
 * recovers) and, where retrying applies, on every attempt. The answer is a retried success or a clear
 * error; a failed write leaves the stored record as it was; the log says what failed, and never in
 * Clerk's words; every answer takes the time CLERK_RETRY_POLICY gives it (2.5 s per attempt, at most 3
 * attempts, 5 s in all, backoff from 100 ms), and no more.
 *
 * The faults play against the in-process emulator on a fake clock (test/support/in-process-emulator.ts):
 * a case takes no real time, and its time is exact, so it is bounded both ways by the policy alone. The
 * cases run one after another, each timed on its own. Clerk's answers that are no fault — a secret it
 * refuses, its real 8 KB limit, a stored record that is not one — come from the loopback emulator.
 */
import { describe, expect, it } from "vitest";
import type { Fault } from "../../emulator/faults.ts";
import { CLERK_RETRY_POLICY } from "../../src/clerk/organization-store.ts";
import { EXPECTED_MESSAGES } from "../constants.ts";
import {
	type ApiResponse,
	errorBody,
	getSettings,
	saveSettings,
	send,
	settingsRequest,
} from "../support/api.ts";
import { clerkCalls, newOrganization, organization, queueClerkFaults } from "../support/emulator.ts";
import { type FakeClock, useInProcessEmulator } from "../support/in-process-emulator.ts";
import { type LeakWatch, watchForLeaks } from "../support/leaks.ts";
import { captureLogs } from "../support/logs.ts";
import { tokenFor } from "../support/tokens.ts";

type Method = "GET" | "POST" | "DELETE";
const METHODS: Method[] = ["GET", "POST", "DELETE"];
/**
 * A retried success; 503 when Clerk stayed unavailable (throttling, failing, silent) past the budget;
 * 500 for an answer retrying cannot mend; 404 when Clerk has no such organization; 400 when the record
 * does not fit in Clerk's 8 KB.
 */
type Outcome = "recovers" | "unavailable" | "fails" | "not-found" | "too-large";
/** [least, most] milliseconds. */
type Range = readonly [number, number];
/** The log line that names a failure, but for its level and request id; it depends on the Clerk call. */
type Failure = (method: Method) => Record<string, unknown>;

interface Case {
	name: string;
	/** What Clerk plays, one fault per call, before it answers normally again. */
	faults: () => Fault[];
	outcome: Outcome | Record<Method, Outcome>;
	/** Clerk calls the request makes. */
	attempts: number;
	/** How long the answer takes: the timeouts, backoff and Retry-After waits the policy makes of the faults. */
	takesMs: Range;
	/** What the log says of a request that does not recover. */
	failure?: Failure;
	/** The Retry-After of a 503: Clerk's own last one, else 10 s. */
	retryAfter?: string;
}

const { attemptTimeoutMs, totalBudgetMs, baseDelayMs } = CLERK_RETRY_POLICY;

/** The n-th backoff: the base doubled n - 1 times, drawn from the upper half of that (RetryPolicy). */
const backoff = (n: number): Range => {
	const step = baseDelayMs * 2 ** (n - 1);
	return [step / 2, step];
};
const exactly = (ms: number): Range => [ms, ms];
const plus = (...ranges: Range[]): Range => [
	ranges.reduce((sum, [least]) => sum + least, 0),
	ranges.reduce((sum, [, most]) => sum + most, 0),
];

const PREVIOUS = {
	provider: "close",
	apiKey: "api_prev0000.secretprevious00",
	apiKeyLast4: "us00",
	apiKeyId: "api_prev0000",
	connectedAt: "2024-01-15T10:30:00.000Z",
	connectedBy: "user_before",
};
const OTHER_PRIVATE = { billing: { plan: "pro", seats: 12 } };
const EXISTING = { ...OTHER_PRIVATE, crm: PREVIOUS };
const PUBLIC = { displayName: "Acme" };
const NEW_SETTINGS = { provider: "bullhorn", apiKey: "bh-new-secret-key-000000new1" };
const METADATA_FULL =
	"Clerk refused the change: the organization's private metadata would exceed Clerk's 8 KB limit. Nothing was changed.";
const CLERK_UNAVAILABLE = EXPECTED_MESSAGES.clerkUnavailable;
const ORGANIZATION_NOT_IN_CLERK =
	"Clerk has no organization with your session's organization id (it may have been deleted); sign in to an existing organization";
/** The message of every emulated fault's error body: it must never reach a log line or a client. */
const CLERKS_OWN_WORDS = "Emulated upstream failure";

/** The Clerk call each method makes, as the log names it (the organization id left out). */
const CLERK_CALL: Record<Method, string> = {
	GET: "GET /organizations/{id}",
	POST: "PATCH /organizations/{id}/metadata",
	DELETE: "PATCH /organizations/{id}/metadata",
};
const upstream = (problem: string, upstreamStatus: number | null, attempts: number) => ({
	msg: "upstream failure",
	service: "clerk",
	problem,
	upstreamStatus,
	attempts,
});
const gaveUp =
	(reason: string, upstreamStatus: number | null, attempts = 3): Failure =>
	() =>
		upstream(`clerk: ${reason}`, upstreamStatus, attempts);
const answered =
	(upstreamStatus: number): Failure =>
	(method) =>
		upstream(`clerk: ${CLERK_CALL[method]} answered HTTP ${upstreamStatus}`, upstreamStatus, 1);
const NOT_JSON: Failure = (method) =>
	upstream(`clerk: ${CLERK_CALL[method]} answered with a body that is not JSON`, 200, 1);

const every = (fault: Fault) => () => [fault, fault, fault];
const once = (fault: Fault) => () => [fault];

/** Faults retried: once → success on the second attempt; every time → 503 after three. */
const retried = (fault: Fault, failure: Failure): Case[] => [
	{ name: "once", faults: once(fault), outcome: "recovers", attempts: 2, takesMs: backoff(1) },
	{
		name: "on every attempt",
		faults: every(fault),
		outcome: "unavailable",
		attempts: 3,
		takesMs: plus(backoff(1), backoff(2)),
		failure,
		retryAfter: "10",
	},
];
/** Answers that retrying cannot mend: at once, after one call. */
const notRetried = (fault: Fault, outcome: Outcome | Record<Method, Outcome>, failure: Failure): Case[] => [
	{ name: "once", faults: once(fault), outcome, attempts: 1, takesMs: exactly(0), failure },
];

const FAULTS: [string, Case[]][] = [
	["500", retried({ status: 500 }, gaveUp("HTTP 500", 500))],
	["502", retried({ status: 502 }, gaveUp("HTTP 502", 502))],
	["503", retried({ status: 503 }, gaveUp("HTTP 503", 503))],
	[
		"500, then 502, then 503",
		[
			{
				name: "one after the other",
				faults: () => [{ status: 500 }, { status: 502 }, { status: 503 }],
				outcome: "unavailable",
				attempts: 3,
				takesMs: plus(backoff(1), backoff(2)),
				// The log names the last answer.
				failure: gaveUp("HTTP 503", 503),
				retryAfter: "10",
			},
		],
	],
	["429 without Retry-After", retried({ status: 429 }, gaveUp("HTTP 429", 429))],
	[
		"429 with Retry-After: 1",
		[
			{
				name: "once",
				faults: once({ status: 429, retryAfter: "1" }),
				outcome: "recovers",
				attempts: 2,
				takesMs: exactly(1000),
			},
			{
				name: "on every attempt",
				faults: every({ status: 429, retryAfter: "1" }),
				outcome: "unavailable",
				attempts: 3,
				takesMs: exactly(2000),
				failure: gaveUp("HTTP 429", 429),
				retryAfter: "1",
			},
		],
	],
	[
		"429 with Retry-After as an HTTP date",
		[
			{
				// `play` starts each case on a whole second, so a date 2 s ahead is a wait of exactly 2 s.
				name: "once",
				faults: () => [{ status: 429, retryAfter: new Date(Date.now() + 2000).toUTCString() }],
				outcome: "recovers",
				attempts: 2,
				takesMs: exactly(2000),
			},
		],
	],
	[
		"429 with a Retry-After longer than the budget",
		[
			{
				// It gives up at once instead of waiting for an answer it could not use, and passes the wait on.
				name: "once",
				faults: once({ status: 429, retryAfter: "30" }),
				outcome: "unavailable",
				attempts: 1,
				takesMs: exactly(0),
				failure: gaveUp("HTTP 429", 429, 1),
				retryAfter: "30",
			},
		],
	],
	["malformed JSON", notRetried({ kind: "malformed-json" }, "fails", NOT_JSON)],
	["a wrong content type (HTML)", notRetried({ kind: "wrong-content-type" }, "fails", NOT_JSON)],
	[
		"401 (Clerk refuses the secret key)",
		notRetried({ status: 401 }, "fails", () => ({
			msg: "configuration error",
			problem: "CLERK_SECRET_KEY was refused by Clerk (HTTP 401): set the instance's current secret key",
		})),
	],
	[
		"404 (an organization Clerk does not know)",
		notRetried({ status: 404 }, "not-found", (method) =>
			upstream(
				`clerk: ${method === "GET" ? "GET" : "PATCH"} /organizations/{id}: Clerk has no such organization`,
				404,
				1,
			),
		),
	],
	// A 422 other than the metadata limit is a request of ours Clerk did not understand: a 500.
	["422 of another kind than the metadata limit", notRetried({ status: 422 }, "fails", answered(422))],
	[
		"a slow answer",
		[
			{
				name: "within the attempt timeout",
				faults: once({ kind: "slow", ms: 300 }),
				outcome: "recovers",
				attempts: 1,
				takesMs: exactly(300),
			},
			{
				// The first attempt is abandoned (its write may still land: it is the same record).
				name: "past the attempt timeout",
				faults: once({ kind: "slow", ms: attemptTimeoutMs + 500 }),
				outcome: "recovers",
				attempts: 2,
				takesMs: plus(exactly(attemptTimeoutMs), backoff(1)),
			},
		],
	],
	[
		"a hang",
		[
			{
				name: "once",
				faults: once({ kind: "hang" }),
				outcome: "recovers",
				attempts: 2,
				takesMs: plus(exactly(attemptTimeoutMs), backoff(1)),
			},
			{
				// The second attempt gets what is left of the 5 s, which then cannot cover a third one.
				name: "on every attempt",
				faults: every({ kind: "hang" }),
				outcome: "unavailable",
				attempts: 2,
				takesMs: exactly(totalBudgetMs),
				failure: gaveUp("timed out", null, 2),
				retryAfter: "10",
			},
		],
	],
	["a dropped connection", retried({ kind: "drop" }, gaveUp("network error", null))],
	[
		"the 8 KB metadata limit",
		// Only a write can pass the limit; the same answer to a read is a Clerk failure.
		notRetried(
			{ kind: "metadata-limit" },
			{ GET: "fails", POST: "too-large", DELETE: "too-large" },
			(method) =>
				method === "GET"
					? upstream("clerk: GET /organizations/{id} answered HTTP 422", 422, 1)
					: upstream(
							"clerk: PATCH /organizations/{id}/metadata refused: over Clerk's 8 KB metadata limit",
							422,
							1,
						),
		),
	],
];

interface Played {
	orgId: string;
	response: ApiResponse;
	elapsedMs: number;
	calls: number;
	privateMetadata: Record<string, unknown>;
	publicMetadata: Record<string, unknown>;
}

async function play(clock: FakeClock, watch: LeakWatch, method: Method, c: Case): Promise<Played> {
	// Fake time is free: start on a whole second, so that an HTTP date (whole seconds) is an exact wait.
	clock.setTime(Math.ceil((Date.now() + 1) / 1000) * 1000);
	const orgId = await newOrganization({ private_metadata: EXISTING, public_metadata: PUBLIC });
	const token = await tokenFor(orgId, { userId: "user_faults" });
	await queueClerkFaults(orgId, c.faults());
	const { value: response, elapsedMs } = await clock.timed(() =>
		watch.call(method, { token, ...(method === "POST" ? { body: NEW_SETTINGS } : {}) }),
	);
	const stored = await organization(orgId);
	return {
		orgId,
		response,
		elapsedMs,
		calls: (await clerkCalls(orgId)).length,
		privateMetadata: stored.private_metadata,
		publicMetadata: stored.public_metadata,
	};
}

/** Status, code and message of each way a request fails. */
const ANSWERS: Record<Exclude<Outcome, "recovers">, [number, string, string]> = {
	unavailable: [503, "UPSTREAM_UNAVAILABLE", CLERK_UNAVAILABLE],
	fails: [500, "INTERNAL_ERROR", "Internal server error"],
	"not-found": [404, "NOT_FOUND", ORGANIZATION_NOT_IN_CLERK],
	"too-large": [400, "VALIDATION_ERROR", METADATA_FULL],
};

function expectOutcome(label: string, method: Method, c: Case, played: Played, watch: LeakWatch) {
	const { response, privateMetadata } = played;
	const outcome = typeof c.outcome === "string" ? c.outcome : c.outcome[method];
	const requestId = response.headers.get("X-Request-Id");
	const requestLine = {
		level: response.status >= 500 ? "error" : "info",
		msg: "request",
		method,
		path: "/api/v1/operations/crm/settings",
		status: response.status,
		// The request's own measure of its time, on the same clock.
		ms: played.elapsedMs,
		requestId,
		orgId: played.orgId,
	};
	const lines = watch.logs.entries().filter((entry) => entry.requestId === requestId);

	if (outcome === "recovers") {
		expect(response.status, label).toBe(200);
		if (method === "GET") {
			expect(response.body, label).toEqual({
				connected: true,
				provider: "close",
				connectedAt: PREVIOUS.connectedAt,
				apiKeyMasked: "********************us00",
				apiKeyId: "api_prev0000",
				connectedBy: "user_before",
				status: "unverified",
			});
			expect(privateMetadata, label).toEqual(EXISTING);
		} else if (method === "POST") {
			const { connectedAt } = response.body as { connectedAt: string };
			expect(response.body, label).toEqual({ success: true, provider: "bullhorn", connectedAt });
			// Every field of the new record, none of the old one's (the stored key may be an envelope).
			expect(Object.keys(privateMetadata).sort(), label).toEqual(["billing", "crm"]);
			expect(privateMetadata.billing, label).toEqual(OTHER_PRIVATE.billing);
			expect(privateMetadata.crm, label).toMatchObject({
				provider: "bullhorn",
				apiKeyLast4: "new1",
				connectedAt,
				connectedBy: "user_faults",
			});
			expect(privateMetadata.crm, label).not.toHaveProperty("apiKeyId");
		} else {
			expect(response.body, label).toEqual({ success: true, disconnected: true });
			expect(privateMetadata, label).toEqual(OTHER_PRIVATE);
		}
		// A retried success is an ordinary request in the log: a write's line, none for a read.
		expect(lines, `${label}: log`).toEqual(method === "GET" ? [] : [requestLine]);
	} else {
		const [status, code, message] = ANSWERS[outcome];
		expect(response.status, label).toBe(status);
		expect(response.body, label).toEqual(errorBody(response, code, message));
		expect(response.headers.get("Retry-After"), `${label}: Retry-After`).toBe(c.retryAfter ?? null);
		expect(privateMetadata, label).toEqual(EXISTING);
		// Operators see what happened: one line naming the failure (and the attempts made), then the request.
		const failure = c.failure as Failure;
		expect(lines, `${label}: log`).toEqual([{ level: "error", ...failure(method), requestId }, requestLine]);
	}
	expect(played.publicMetadata, label).toEqual(PUBLIC);
}

describe.each(FAULTS)("Clerk plays %s", (_fault, cases) => {
	it("on GET, POST and DELETE: a retried success or a clear error, the record intact, in the policy's time", async () => {
		const clock = useInProcessEmulator();
		const watch = watchForLeaks();
		watch.apiKey(PREVIOUS.apiKey);
		watch.apiKey(NEW_SETTINGS.apiKey);
		for (const c of cases) {
			for (const method of METHODS) {
				const label = `${method}, fault ${c.name}`;
				const played = await play(clock, watch, method, c);
				expectOutcome(label, method, c, played, watch);
				expect(played.calls, `${label}: Clerk calls`).toBe(c.attempts);
				const [least, most] = c.takesMs;
				expect(played.elapsedMs, `${label}: answer time`).toBeGreaterThanOrEqual(least);
				expect(played.elapsedMs, `${label}: answer time`).toBeLessThanOrEqual(most);
				expect(played.elapsedMs, `${label}: within the budget`).toBeLessThanOrEqual(totalBudgetMs);
			}
		}
		expect(watch.logs.lines.join("\n")).not.toContain(CLERKS_OWN_WORDS);
		watch.expectNoLeaks();
	});
});

// ---- Clerk's answers that are no fault: from the loopback emulator, over real HTTP ------------------

const CONNECTED = {
	crm: { provider: "close", apiKey: PREVIOUS.apiKey, connectedAt: PREVIOUS.connectedAt },
	other: "kept",
};

/** The two lines of a request Clerk failed: the upstream failure, then the request. */
function failedRequestLines(response: ApiResponse, method: Method, orgId: string, failure: object) {
	const requestId = response.headers.get("X-Request-Id");
	return [
		{ level: "error", ...failure, requestId },
		{
			level: "error",
			msg: "request",
			method,
			path: "/api/v1/operations/crm/settings",
			status: 500,
			ms: expect.any(Number),
			requestId,
			orgId,
		},
	];
}

describe("Clerk's answers that are no fault", () => {
	it("a CLERK_SECRET_KEY Clerk refuses → 500 on every operation, a configuration error logged, nothing written", async () => {
		const logs = captureLogs();
		const orgId = await newOrganization({ private_metadata: CONNECTED });
		const token = await tokenFor(orgId);
		const env = { CLERK_SECRET_KEY: "sk_test_wrong" };
		for (const method of METHODS) {
			const before = logs.lines.length;
			const body = method === "POST" ? { body: NEW_SETTINGS } : {};
			const response = await send(settingsRequest(method, { token, ...body }), env);
			expect(response.status, method).toBe(500);
			expect(response.body, method).toEqual(errorBody(response, "INTERNAL_ERROR", "Internal server error"));
			expect(logs.entries().slice(before), method).toEqual(
				failedRequestLines(response, method, orgId, {
					msg: "configuration error",
					problem: "CLERK_SECRET_KEY was refused by Clerk (HTTP 401): set the instance's current secret key",
				}),
			);
		}
		expect((await organization(orgId)).private_metadata).toEqual(CONNECTED);
	});

	it("a stored record that is not a CRM record → 500, not a made-up answer", async () => {
		const logs = captureLogs();
		const orgId = await newOrganization({ private_metadata: { crm: { provider: "hubspot" } } });
		const response = await getSettings({ token: await tokenFor(orgId) });
		expect(response.status).toBe(500);
		expect(response.body).toEqual(errorBody(response, "INTERNAL_ERROR", "Internal server error"));
		expect(logs.entries()).toEqual(
			failedRequestLines(response, "GET", orgId, {
				msg: "unreadable stored record",
				problem: "private_metadata.crm is not a CRM settings record",
			}),
		);
	});

	it("a save past Clerk's 8 KB limit → 400 saying so, one attempt, the previous record intact", async () => {
		const logs = captureLogs();
		// Other data of the organization fills most of the 8 KB; a long key no longer fits beside it.
		const existing = { ...CONNECTED, notes: "n".repeat(6000) };
		const orgId = await newOrganization({ private_metadata: existing });
		const response = await saveSettings({
			token: await tokenFor(orgId),
			body: { provider: "bullhorn", apiKey: "k".repeat(2048) },
		});
		expect(response.status).toBe(400);
		expect(response.body).toEqual(errorBody(response, "VALIDATION_ERROR", METADATA_FULL));
		expect(await clerkCalls(orgId)).toHaveLength(1);
		expect((await organization(orgId)).private_metadata).toEqual(existing);
		const requestId = response.headers.get("X-Request-Id");
		expect(logs.entries()).toEqual([
			{
				level: "error",
				msg: "upstream failure",
				service: "clerk",
				problem: "clerk: PATCH /organizations/{id}/metadata refused: over Clerk's 8 KB metadata limit",
				upstreamStatus: 422,
				attempts: 1,
				requestId,
			},
			{
				level: "info",
				msg: "request",
				method: "POST",
				path: "/api/v1/operations/crm/settings",
				status: 400,
				ms: expect.any(Number),
				requestId,
				orgId,
			},
		]);
	});
});
