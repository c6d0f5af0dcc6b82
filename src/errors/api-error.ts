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
 * An error meant for the client: its message is safe to show and says what to do.
 * Anything thrown that is not an `ApiError` becomes a generic `INTERNAL_ERROR`.
 *
 * @example
 * throw new ApiError("FORBIDDEN", "Only organization admins can change CRM settings");
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

/** The reference's answer to any request without a usable session: 400, not 401 (kept for compatibility). */
export const ORGANIZATION_ID_REQUIRED = "Organization ID required";

export function organizationIdRequired(): ApiError {
	return new ApiError("VALIDATION_ERROR", ORGANIZATION_ID_REQUIRED);
}

/** Clerk refused a write: the organization's private metadata (other data included) would exceed 8 KB. */
export function metadataFull(): ApiError {
	return new ApiError(
		"VALIDATION_ERROR",
		"Clerk refused the change: the organization's private metadata would exceed Clerk's 8 KB limit. Nothing was changed.",
	);
}
