/**
 * Fault injection: every fault the emulator can play, on GET, POST and DELETE, once (then Clerk
 * recovers) and, where retrying applies, on every attempt. The answer is a retried success or a clear
 * error; a failed write leaves the stored record as it was; every answer comes within Clerk's budget
 * (CLERK_RETRY_POLICY: 2.5 s per attempt, at most 3 attempts, 5 s in all). The cases of one fault run
 * side by side, so the hangs cost their 5 s once.
 */
import { describe, expect, it } from "vitest";
import type { Fault } from "../../emulator/faults.ts";
import { CLERK_RETRY_POLICY } from "../../src/clerk/organization-store.ts";
import { type ApiResponse, errorBody } from "../support/api.ts";
import { clerkCalls, newOrganization, organization, queueClerkFaults } from "../support/emulator.ts";
import { type LeakWatch, watchForLeaks } from "../support/leaks.ts";
import { tokenFor } from "../support/tokens.ts";

type Method = "GET" | "POST" | "DELETE";
/** A retried success; a 500 after giving up; a 400 saying the record does not fit in Clerk's 8 KB. */
type Outcome = "recovers" | "fails" | "too-large";

interface Case {
	name: string;
	/** What Clerk plays, one fault per call, before it answers normally again. */
	faults: () => Fault[];
	outcome: Outcome | Record<Method, Outcome>;
	/** Clerk calls the request makes. */
	attempts: number;
	/** Where waiting is the point (Retry-After, the attempt timeout), the least time the answer takes. */
	atLeastMs?: number;
	/** The most time the answer may take; answers that wait for no timeout come well within a second. */
	withinMs?: number;
}

const { attemptTimeoutMs, totalBudgetMs } = CLERK_RETRY_POLICY;
/** Room for scheduling on a loaded 2-core machine, on top of the documented budget. */
const SLACK_MS = 1000;
const QUICK_MS = 1500;

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

const every = (fault: Fault) => () => [fault, fault, fault];
const once = (fault: Fault) => () => [fault];

/** 5xx and 429 are retried: once → success on the second attempt; every time → 500 after three. */
const retried = (fault: Fault): Case[] => [
	{ name: "once", faults: once(fault), outcome: "recovers", attempts: 2 },
	{ name: "on every attempt", faults: every(fault), outcome: "fails", attempts: 3 },
];

const FAULTS: [string, Case[]][] = [
	["500", retried({ status: 500 })],
	["502", retried({ status: 502 })],
	["503", retried({ status: 503 })],
	["429 without Retry-After", retried({ status: 429 })],
	[
		"429 with Retry-After: 1",
		[
			{
				name: "once",
				faults: once({ status: 429, retryAfter: "1" }),
				outcome: "recovers",
				attempts: 2,
				atLeastMs: 1000,
			},
			{
				name: "on every attempt",
				faults: every({ status: 429, retryAfter: "1" }),
				outcome: "fails",
				attempts: 3,
				atLeastMs: 2000,
				withinMs: 2000 + QUICK_MS,
			},
		],
	],
	[
		"429 with Retry-After as an HTTP date",
		[
			{
				name: "once",
				faults: () => [{ status: 429, retryAfter: new Date(Date.now() + 1500).toUTCString() }],
				outcome: "recovers",
				attempts: 2,
				withinMs: 1500 + QUICK_MS,
			},
		],
	],
	[
		"429 with a Retry-After longer than the budget",
		[{ name: "once", faults: once({ status: 429, retryAfter: "30" }), outcome: "fails", attempts: 1 }],
	],
	[
		"malformed JSON",
		[{ name: "once", faults: once({ kind: "malformed-json" }), outcome: "fails", attempts: 1 }],
	],
	[
		"a wrong content type (HTML)",
		[{ name: "once", faults: once({ kind: "wrong-content-type" }), outcome: "fails", attempts: 1 }],
	],
	[
		"a slow answer",
		[
			{
				name: "within the attempt timeout",
				faults: once({ kind: "slow", ms: 300 }),
				outcome: "recovers",
				attempts: 1,
				atLeastMs: 300,
			},
			{
				// The first attempt is abandoned (its write may still land: it is the same record).
				name: "past the attempt timeout",
				faults: once({ kind: "slow", ms: attemptTimeoutMs + 500 }),
				outcome: "recovers",
				attempts: 2,
				atLeastMs: attemptTimeoutMs,
				withinMs: totalBudgetMs + SLACK_MS,
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
				atLeastMs: attemptTimeoutMs,
				withinMs: totalBudgetMs + SLACK_MS,
			},
			{
				// Two timed-out attempts spend the 5 s budget: no third one is started.
				name: "on every attempt",
				faults: every({ kind: "hang" }),
				outcome: "fails",
				attempts: 2,
				atLeastMs: totalBudgetMs - 100,
				withinMs: totalBudgetMs + SLACK_MS,
			},
		],
	],
	["a dropped connection", retried({ kind: "drop" })],
	[
		"the 8 KB metadata limit",
		[
			{
				name: "once",
				faults: once({ kind: "metadata-limit" }),
				// Only a write can pass the limit; the same answer to a read is a Clerk failure.
				outcome: { GET: "fails", POST: "too-large", DELETE: "too-large" },
				attempts: 1,
			},
		],
	],
];

interface Played {
	response: ApiResponse;
	elapsedMs: number;
	calls: number;
	privateMetadata: Record<string, unknown>;
	publicMetadata: Record<string, unknown>;
}

async function play(watch: LeakWatch, method: Method, faults: Fault[]): Promise<Played> {
	const orgId = await newOrganization({ private_metadata: EXISTING, public_metadata: PUBLIC });
	const token = await tokenFor(orgId, { userId: "user_faults" });
	await queueClerkFaults(orgId, faults);
	const started = Date.now();
	const response = await watch.call(method, { token, ...(method === "POST" ? { body: NEW_SETTINGS } : {}) });
	const elapsedMs = Date.now() - started;
	const stored = await organization(orgId);
	return {
		response,
		elapsedMs,
		calls: (await clerkCalls(orgId)).length,
		privateMetadata: stored.private_metadata,
		publicMetadata: stored.public_metadata,
	};
}

function expectOutcome(
	label: string,
	method: Method,
	outcome: Outcome,
	attempts: number,
	played: Played,
	watch: LeakWatch,
) {
	const { response, privateMetadata } = played;
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
	} else {
		const [status, code, message] =
			outcome === "fails"
				? ([500, "INTERNAL_ERROR", "Internal server error"] as const)
				: ([400, "VALIDATION_ERROR", METADATA_FULL] as const);
		expect(response.status, label).toBe(status);
		expect(response.body, label).toEqual(errorBody(response, code, message));
		expect(privateMetadata, label).toEqual(EXISTING);
		// Operators see what happened: one line naming the failure, with the attempts made.
		const requestId = response.headers.get("X-Request-Id");
		const lines = watch.logs.entries().filter((entry) => entry.requestId === requestId);
		expect(
			lines.filter((entry) => entry.msg === "upstream failure"),
			label,
		).toEqual([expect.objectContaining({ service: "clerk", attempts })]);
	}
	expect(played.publicMetadata, label).toEqual(PUBLIC);
}

describe.each(FAULTS)("Clerk plays %s", (_fault, cases) => {
	it("on GET, POST and DELETE: a retried success or a clear error, the record intact, within the budget", async () => {
		const watch = watchForLeaks();
		watch.apiKey(PREVIOUS.apiKey);
		watch.apiKey(NEW_SETTINGS.apiKey);
		const plays = cases.flatMap((c) =>
			(["GET", "POST", "DELETE"] as const).map(async (method) => ({
				c,
				method,
				played: await play(watch, method, c.faults()),
			})),
		);
		for (const { c, method, played } of await Promise.all(plays)) {
			const label = `${method}, fault ${c.name}`;
			const outcome = typeof c.outcome === "string" ? c.outcome : c.outcome[method];
			expectOutcome(label, method, outcome, c.attempts, played, watch);
			expect(played.calls, `${label}: Clerk calls`).toBe(c.attempts);
			expect(played.elapsedMs, `${label}: answer time`).toBeLessThan(c.withinMs ?? QUICK_MS);
			expect(played.elapsedMs, `${label}: answer time`).toBeGreaterThanOrEqual(c.atLeastMs ?? 0);
		}
		watch.expectNoLeaks();
	});
});
