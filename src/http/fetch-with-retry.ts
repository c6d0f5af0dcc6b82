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

import { InternalFailure } from "../errors/api-error.ts";

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

/** A call to an outside service that did not give a usable answer. Its message is for logs only. */
export class UpstreamError extends InternalFailure {
	readonly service: string;
	readonly status: number | undefined;
	readonly attempts: number;
	/** The wait the upstream asked for in its last `Retry-After`, if it sent one. */
	readonly retryAfterMs: number | undefined;
	/**
	 * Whether asking again later may succeed: the retries ran out on timeouts, network errors or
	 * statuses the policy retries (429, 5xx, `alsoRetry`). A client's error about an answer it could
	 * not use is not.
	 */
	readonly transient: boolean;

	constructor(
		service: string,
		reason: string,
		details: { status?: number; attempts: number; retryAfterMs?: number; transient?: boolean },
	) {
		super(`${service}: ${reason}`);
		this.name = "UpstreamError";
		this.service = service;
		this.status = details.status;
		this.attempts = details.attempts;
		this.retryAfterMs = details.retryAfterMs;
		this.transient = details.transient ?? false;
	}

	logFields() {
		return {
			msg: "upstream failure",
			service: this.service,
			problem: this.message,
			upstreamStatus: this.status ?? null,
			attempts: this.attempts,
		};
	}
}

const isRetryableStatus = (status: number): boolean => status === 429 || status >= 500;

export async function fetchWithRetry(
	service: string,
	makeRequest: () => Request,
	policy: RetryPolicy,
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
		const timeout = attemptTimeout(Math.min(policy.attemptTimeoutMs, remaining));
		try {
			const response = await fetch(makeRequest(), { signal: timeout.signal, redirect: "manual" });
			if (!retryable(response.status)) return await readWhole(response);
			lastStatus = response.status;
			lastFailure = `HTTP ${response.status}`;
			retryAfterMs = parseRetryAfter(response.headers.get("Retry-After"));
			lastRetryAfterMs = retryAfterMs;
			await response.body?.cancel();
		} catch (error) {
			lastStatus = undefined;
			lastRetryAfterMs = undefined;
			lastFailure = isTimeout(error) ? "timed out" : "network error";
		} finally {
			timeout.clear();
		}

		if (attempt === policy.maxAttempts) break;
		const delay = retryAfterMs ?? backoff(policy.baseDelayMs, attempt);
		// Waiting past the deadline would only end in a timeout: fail now and answer the client sooner.
		if (Date.now() + delay >= deadline) break;
		await new Promise((resolve) => setTimeout(resolve, delay));
	}

	throw new UpstreamError(service, lastFailure, {
		...(lastStatus === undefined ? {} : { status: lastStatus }),
		...(lastRetryAfterMs === undefined ? {} : { retryAfterMs: lastRetryAfterMs }),
		attempts,
		transient: true,
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
 * A signal that aborts with a `TimeoutError` after `ms`, as `AbortSignal.timeout(ms)` does, and can be
 * cleared once the attempt is over. Made of `setTimeout` rather than `AbortSignal.timeout` so that
 * attempts and backoff run on one clock: the tests replace that clock to play timeouts and
 * `Retry-After` without waiting them out.
 */
function attemptTimeout(ms: number): { signal: AbortSignal; clear(): void } {
	const controller = new AbortController();
	const timer = setTimeout(
		() => controller.abort(new DOMException("The attempt timed out", "TimeoutError")),
		ms,
	);
	return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/**
 * The response with its body read, inside the attempt: a body that stalls or breaks off is the
 * attempt's timeout or network error, retried like any other, and no timer outlives its attempt.
 * (Clerk's and Close's answers are a few kilobytes.)
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
