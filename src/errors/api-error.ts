import type { ErrorDetail } from "./error-body.ts";

/** Every error code the API can answer with, and the HTTP status each one maps to. */
export const ERROR_STATUS = {
	VALIDATION_ERROR: 400,
	FORBIDDEN: 403,
	NOT_FOUND: 404,
	METHOD_NOT_ALLOWED: 405,
	PAYLOAD_TOO_LARGE: 413,
	RATE_LIMITED: 429,
	INTERNAL_ERROR: 500,
	UPSTREAM_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

// The body's shape is a zod schema in error-body.ts, for the OpenAPI document; its types are kept here too.
export type { ErrorBody, ErrorDetail } from "./error-body.ts";

/**
 * An error meant for the client: its message is safe to show and says what to do. The service layer
 * turns the typed failures of its clients (Clerk, Close, the stored record) into these; anything
 * thrown that is not an `ApiError` answers a generic `INTERNAL_ERROR`.
 *
 * @example
 * throw new ApiError("FORBIDDEN", WRITE_ROLE_REQUIRED);
 */
export class ApiError extends Error {
	readonly code: ErrorCode;
	readonly details: ErrorDetail[] | undefined;
	readonly headers: Record<string, string>;

	constructor(
		code: ErrorCode,
		message: string,
		options: { details?: ErrorDetail[]; headers?: Record<string, string>; cause?: unknown } = {},
	) {
		super(message, { cause: options.cause });
		this.name = "ApiError";
		this.code = code;
		this.details = options.details;
		this.headers = options.headers ?? {};
	}

	get status(): (typeof ERROR_STATUS)[ErrorCode] {
		return ERROR_STATUS[this.code];
	}
}

/**
 * A server-side failure that says in the log what went wrong (a setting, an upstream, a stored record)
 * with fields that are safe to keep: never a token, an API key, a secret or an upstream's own text.
 * The client only ever sees `500 INTERNAL_ERROR`, or the `ApiError` a service made of it.
 *
 * @example
 * class ConfigError extends InternalFailure {
 *   logFields() { return { msg: "configuration error", problem: this.message }; }
 * }
 */
export abstract class InternalFailure extends Error {
	abstract logFields(): Record<string, unknown>;
}

/**
 * What a log line may say of any failure: an InternalFailure's own safe fields, or else only the
 * error's name (its message may quote a token, a key or an upstream's answer).
 */
export function safeLogFields(error: unknown): Record<string, unknown> {
	if (error instanceof InternalFailure) return error.logFields();
	return { msg: "unexpected error", errorName: error instanceof Error ? error.name : typeof error };
}
