import { encodeBase64 } from "../encoding/base64.ts";
import { InternalFailure, upstreamFailure } from "../errors/failure.ts";
import { fetchWithRetry, type RetryPolicy } from "../http/fetch-with-retry.ts";

/**
 * 2 s per attempt, 3 s in all: with Clerk's 5 s after it, a verified save still answers within 8 s
 * when both upstreams hang.
 */
export const CLOSE_RETRY_POLICY: RetryPolicy = {
	attemptTimeoutMs: 2000,
	totalBudgetMs: 3000,
	maxAttempts: 3,
	baseDelayMs: 100,
};

/** Close's verdict on a key, or why there is none: Close could not be reached within the budget. */
export type CloseKeyCheck =
	| { outcome: "accepted" }
	| { outcome: "rejected" }
	| { outcome: "unreachable"; failure: InternalFailure };

/**
 * Asks Close whether `apiKey` works: one `GET /api/v1/me/` with HTTP Basic auth (the key as user name,
 * empty password), retried on 429/5xx/timeouts. 401 and 403 mean rejected; timeouts, network errors
 * and 429/5xx past the retry budget mean unreachable. Any other answer throws an `upstream` failure.
 *
 * @example
 * const check = await checkCloseApiKey(config.closeApiUrl, key); // { outcome: "accepted" }
 */
export async function checkCloseApiKey(closeApiUrl: string, apiKey: string): Promise<CloseKeyCheck> {
	// Basic credentials are base64 of UTF-8 (RFC 7617); btoa alone would throw on non-Latin-1 keys.
	const credentials = encodeBase64(new TextEncoder().encode(`${apiKey}:`));
	const makeRequest = () =>
		new Request(`${closeApiUrl}/api/v1/me/`, {
			headers: { Authorization: `Basic ${credentials}`, Accept: "application/json" },
		});

	let response: Response;
	try {
		response = await fetchWithRetry("close", makeRequest, CLOSE_RETRY_POLICY);
	} catch (error) {
		if (error instanceof InternalFailure && error.kind === "unavailable") {
			return { outcome: "unreachable", failure: error };
		}
		throw error;
	}
	await response.body?.cancel();
	if (response.ok) return { outcome: "accepted" };
	if (response.status === 401 || response.status === 403) return { outcome: "rejected" };
	throw upstreamFailure("upstream", "close", `GET /api/v1/me/ answered HTTP ${response.status}`, {
		status: response.status,
		attempts: 1,
	});
}
