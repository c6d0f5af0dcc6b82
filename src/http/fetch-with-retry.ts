/**
 * `fetch` for calls to outside services (Clerk, Close) that must answer within a fixed time.
 *
 * Each attempt has its own timeout, which also covers reading the answer's body (read within the
 * attempt); timeouts, network errors, 429 and 5xx are retried with exponential backoff (or the
 * upstream's `Retry-After`, when it sends one), and the whole call — attempts and waits together —
 * stays inside `totalBudgetMs`. When the budget cannot cover the next wait, it gives up at once rather
 * than waiting for an answer it could not use.
 *
 * Any other response, 4xx included, is returned as it is for the caller to interpret. Redirects are
 * never followed: a 3xx is returned too, so an upstream (or whoever answers in its name) cannot send
 * the request and its credentials elsewhere.
 *
 * @example
 * const res = await fetchWithRetry("clerk", () => new Request(url, { headers }), CLERK_RETRY_POLICY);
 */

import { upstreamFailure } from "../errors/failure.ts";

export interface RetryPolicy {
	/** Longest time for one attempt: its response, body included. */
	attemptTimeoutMs: number;
	/** Longest time for the whole call, attempts and backoff included. */
	totalBudgetMs: number;
	maxAttempts: number;
	/** First backoff; doubled at every further retry, each drawn at random from its upper half. */
	baseDelayMs: number;
	/** Statuses retried besides 429 and 5xx, e.g. Clerk's 409 `resource_locked`. */
	alsoRetry?: readonly number[];
}

/**
 * How long an abandoned attempt of a write may still run before it is cut off. Longer than any answer
 * Clerk gives in practice, so that what it does is seen; short enough that a later write is not held long.
 */
export const ABANDONED_ATTEMPT_LIMIT_MS = 30_000;

export interface AttemptHooks {
	/**
	 * For a request with an effect (a write): an attempt that passes its timeout is not cut off, since the
	 * upstream may still apply it. It is handed here, still running, as a promise that settles once it is
	 * answered or cut off (after ABANDONED_ATTEMPT_LIMIT_MS), so that the caller can hold later writes
	 * until then: a late attempt must never land after a later write.
	 */
	abandoned(settled: Promise<void>): void;
}

const isRetryableStatus = (status: number): boolean => status === 429 || status >= 500;

export async function fetchWithRetry(
	service: string,
	makeRequest: () => Request,
	policy: RetryPolicy,
	hooks?: AttemptHooks,
): Promise<Response> {
	const deadline = Date.now() + policy.totalBudgetMs;
	let lastFailure = "no attempt made";
	let lastStatus: number | undefined;
	let lastRetryAfterMs: number | undefined;
	let attempts = 0;
	const retryable = (status: number) => isRetryableStatus(status) || policy.alsoRetry?.includes(status);

	for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
		const remaining = deadline - Date.now();
		if (remaining <= 0) break;
		attempts = attempt;

		let retryAfterMs: number | undefined;
		const attemptRun = startAttempt(makeRequest(), Math.min(policy.attemptTimeoutMs, remaining), hooks);
		try {
			const response = await attemptRun;
			if (!retryable(response.status)) return response;
			lastStatus = response.status;
			lastFailure = `HTTP ${response.status}`;
			retryAfterMs = parseRetryAfter(response.headers.get("Retry-After"));
			lastRetryAfterMs = retryAfterMs;
		} catch (error) {
			lastStatus = undefined;
			lastRetryAfterMs = undefined;
			lastFailure = isTimeout(error) ? "timed out" : "network error";
		}

		if (attempt === policy.maxAttempts) break;
		const delay = retryAfterMs ?? backoff(policy.baseDelayMs, attempt);
		// Waiting past the deadline would only end in a timeout: fail now and answer the client sooner.
		if (Date.now() + delay >= deadline) break;
		await new Promise((resolve) => setTimeout(resolve, delay));
	}

	throw upstreamFailure("unavailable", service, lastFailure, {
		...(lastStatus === undefined ? {} : { status: lastStatus }),
		...(lastRetryAfterMs === undefined ? {} : { retryAfterMs: lastRetryAfterMs }),
		attempts,
	});
}

// IMF-fixdate, the one HTTP-date form senders must use (RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * `Retry-After` as milliseconds: delta-seconds or an IMF-fixdate (RFC 9110 §10.2.3). Anything else —
 * "1.5", "-1", a loose date `Date.parse` would still read — is ignored, so backoff applies instead.
 *
 * @example
 * parseRetryAfter("2"); // 2000
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
	const text = value?.trim() ?? "";
	if (/^\d+$/.test(text)) return Number(text) * 1000;
	if (!IMF_FIXDATE.test(text)) return undefined;
	const date = Date.parse(text);
	return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with jitter, so that many isolates retrying at once do not hit Clerk in step. */
export function backoff(baseDelayMs: number, attempt: number, random = Math.random): number {
	const ceiling = baseDelayMs * 2 ** (attempt - 1);
	return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * One attempt: the request and its whole body, within `ms`. Its timer is `setTimeout` rather than
 * `AbortSignal.timeout`, so that attempts and backoff run on one clock: the tests replace that clock to
 * play timeouts and `Retry-After` without waiting them out.
 *
 * Past its time, a read is cut off (its signal aborts). A write is not: the upstream may have it already
 * and apply it later, so it goes on running, handed to `hooks.abandoned`, and is cut off only after
 * ABANDONED_ATTEMPT_LIMIT_MS; the attempt itself counts as timed out at once either way.
 */
function startAttempt(request: Request, ms: number, hooks: AttemptHooks | undefined): Promise<Response> {
	const controller = new AbortController();
	const timedOut = () => new DOMException("The attempt timed out", "TimeoutError");
	const run = fetch(request, { signal: controller.signal, redirect: "manual" }).then(readWhole);
	return new Promise<Response>((resolve, reject) => {
		const timer = setTimeout(() => {
			if (!hooks) return controller.abort(timedOut());
			const limit = setTimeout(() => controller.abort(timedOut()), ABANDONED_ATTEMPT_LIMIT_MS);
			hooks.abandoned(
				run.then(
					() => clearTimeout(limit),
					() => clearTimeout(limit),
				),
			);
			reject(timedOut());
		}, ms);
		run.then(resolve, reject).finally(() => clearTimeout(timer));
	});
}

/**
 * The response with its body read, inside the attempt: a body that stalls or breaks off is the
 * attempt's timeout or network error, retried like any other. (Clerk's and Close's answers are a few
 * kilobytes.)
 */
async function readWhole(response: Response): Promise<Response> {
	if (response.body === null) return response;
	const body = await response.arrayBuffer();
	const { status, statusText, headers } = response;
	return new Response(body, { status, statusText, headers });
}

function isTimeout(error: unknown): boolean {
	return error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError");
}
