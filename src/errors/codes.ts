/** Every error code the API can answer with, and the HTTP status each one maps to. */
export const ERROR_STATUS = {
	VALIDATION_ERROR: 400,
	FORBIDDEN: 403,
	NOT_FOUND: 404,
	METHOD_NOT_ALLOWED: 405,
	PAYLOAD_TOO_LARGE: 413,
	UNSUPPORTED_MEDIA_TYPE: 415,
	RATE_LIMITED: 429,
	INTERNAL_ERROR: 500,
	UPSTREAM_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** One problem with one field of the request; `path` is the dotted field path ("" for the body itself). */
export interface ErrorDetail {
	path: string;
	message: string;
}
