import { ERROR_STATUS, type ErrorCode, type ErrorDetail } from "./codes.ts";

export { ERROR_STATUS, type ErrorCode, type ErrorDetail } from "./codes.ts";

/**
 * An answer to the client: its message is safe to show and says what to do. `log` holds what the log
 * line of a server-side cause may say (an InternalFailure's safe fields); anything thrown that is not
 * an `ApiError` answers a generic `INTERNAL_ERROR`.
 *
 * @example
 * throw new ApiError("FORBIDDEN", WRITE_ROLE_REQUIRED);
 */
export class ApiError extends Error {
	readonly code: ErrorCode;
	readonly details: ErrorDetail[] | undefined;
	readonly headers: Record<string, string>;
	readonly log: Record<string, unknown> | undefined;

	constructor(
		code: ErrorCode,
		message: string,
		options: {
			details?: ErrorDetail[];
			headers?: Record<string, string>;
			log?: Record<string, unknown>;
		} = {},
	) {
		super(message);
		this.name = "ApiError";
		this.code = code;
		this.details = options.details;
		this.headers = options.headers ?? {};
		this.log = options.log;
	}

	get status(): (typeof ERROR_STATUS)[ErrorCode] {
		return ERROR_STATUS[this.code];
	}
}
