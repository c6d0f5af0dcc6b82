/**
 * What crosses the organization's owner's boundary: a result, or a failure described as data — the
 * answer the client is to hear (code, message, `Retry-After`) and what the log may say of the cause.
 * Errors keep only their message across RPC; data keeps everything. The owner makes failures of its
 * typed ones (`failureOf`); the Worker makes the HTTP answer of an outcome (`answerOf`).
 */
import { ApiError, type ErrorCode, type ErrorDetail } from "../errors/api-error.ts";
import { InternalFailure, safeLogFields } from "../errors/failure.ts";
import {
	BULLHORN_UNREACHABLE,
	CLERK_UNAVAILABLE,
	METADATA_FULL,
	ORGANIZATION_NOT_IN_CLERK,
} from "../errors/messages.ts";

export interface FailureData {
	/** What the client hears; absent: `500 INTERNAL_ERROR`. */
	answer?: { code: ErrorCode; message: string; retryAfterSeconds?: number; details?: ErrorDetail[] };
	/** What the log may say of the cause (safe fields only). */
	log?: Record<string, unknown>;
}

export type Outcome<T> =
	| { ok: true; value: T; warnings?: Record<string, unknown>[] }
	| { ok: false; failure: FailureData };

export const succeeded = <T>(value: T, warnings?: Record<string, unknown>[]): Outcome<T> =>
	warnings ? { ok: true, value, warnings } : { ok: true, value };

export const failed = <T>(failure: FailureData): Outcome<T> => ({ ok: false, failure });

/** An answer the client hears as it is, with no server-side cause to log. */
export const refused = <T>(
	code: ErrorCode,
	message: string,
	extra: { retryAfterSeconds?: number; details?: ErrorDetail[] } = {},
) => failed<T>({ answer: { code, message, ...extra } });

/**
 * `Retry-After` when Clerk is unavailable: Clerk's own wait, capped, or without one Clerk's rate-limit
 * window (10 s, Clerk's "system limits" page).
 */
export const CLERK_RETRY_AFTER = { defaultSeconds: 10, maxSeconds: 60 };

/** After Bullhorn failed past its retries: it asks for 1 s between tries, and it had three. */
export const BULLHORN_RETRY_AFTER_SECONDS = 10;

export function clerkRetryAfterSeconds(retryAfterMs: number | undefined): number {
	if (retryAfterMs === undefined) return CLERK_RETRY_AFTER.defaultSeconds;
	return Math.min(CLERK_RETRY_AFTER.maxSeconds, Math.max(1, Math.ceil(retryAfterMs / 1000)));
}

/**
 * The failure data of anything a Clerk call or the record's rules threw. The failures a caller can act
 * on get answers that say how: Clerk unavailable a 503 with `Retry-After` (`retryAfterSeconds` when the
 * owner already knows how long it will wait), Clerk's metadata limit a 400, an organization Clerk does
 * not know a 404; every other failure answers 500, and the log says why.
 */
export function failureOf(error: unknown, retryAfterSeconds?: number): FailureData {
	if (!(error instanceof InternalFailure)) return { log: safeLogFields(error) };
	const log = error.logFields();
	switch (error.kind) {
		case "unavailable": {
			if (error.upstream?.service === "bullhorn") {
				const answer = { message: BULLHORN_UNREACHABLE, retryAfterSeconds: BULLHORN_RETRY_AFTER_SECONDS };
				return { answer: { code: "UPSTREAM_UNAVAILABLE", ...answer }, log };
			}
			const seconds = retryAfterSeconds ?? clerkRetryAfterSeconds(error.upstream?.retryAfterMs);
			return {
				answer: { code: "UPSTREAM_UNAVAILABLE", message: CLERK_UNAVAILABLE, retryAfterSeconds: seconds },
				log,
			};
		}
		// Too large cannot succeed on retry: the admin must hear why (400), not 500.
		case "too-large":
			return { answer: { code: "VALIDATION_ERROR", message: METADATA_FULL }, log };
		case "not-found":
			return { answer: { code: "NOT_FOUND", message: ORGANIZATION_NOT_IN_CLERK }, log };
		default:
			return { log };
	}
}

/**
 * The HTTP answer of an outcome: its value, or the `ApiError` its failure describes (a failure with no
 * answer is a 500 whose only trace is its log line). `warn` gets the outcome's warnings, e.g. a stale
 * copy served while Clerk was failing.
 *
 * @example
 * return c.json(answerOf(await owner.read(orgId), warn));
 */
export function answerOf<T>(outcome: Outcome<T>, warn: (fields: Record<string, unknown>) => void): T {
	if (outcome.ok) {
		for (const warning of outcome.warnings ?? []) warn(warning);
		return outcome.value;
	}
	const { answer, log } = outcome.failure;
	if (!answer) throw new ApiError("INTERNAL_ERROR", "Internal server error", log ? { log } : {});
	const { code, message, retryAfterSeconds, details } = answer;
	throw new ApiError(code, message, {
		...(retryAfterSeconds === undefined ? {} : { headers: { "Retry-After": String(retryAfterSeconds) } }),
		...(details ? { details } : {}),
		...(log ? { log } : {}),
	});
}
