import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import type { AppEnv } from "../app-env.ts";
import { MetadataLimitError } from "../clerk/organization-store.ts";
import { ConfigError } from "../config/config-error.ts";
import { UpstreamError } from "../http/fetch-with-retry.ts";
import { log } from "../logging/log.ts";
import { ApiError, type ErrorBody, metadataFull } from "./api-error.ts";

/**
 * Answers every thrown error in the one error body. `ApiError`s say what went wrong; everything else
 * is a 500 whose only trace is a log line naming the kind of failure — never a stack, an upstream
 * message or a secret.
 *
 * @example
 * app.onError(handleError);
 */
export const handleError: ErrorHandler<AppEnv> = (error, c) => {
	if (error instanceof ApiError) {
		// An ApiError caused by an upstream failure (e.g. Close unreachable) still leaves its trace.
		if (error.cause instanceof UpstreamError) logUpstreamFailure(error.cause, c.get("requestId"));
		return errorResponse(c, error);
	}

	if (error instanceof ConfigError) {
		log("error", { msg: "configuration error", problem: error.message, requestId: c.get("requestId") });
	} else if (error instanceof UpstreamError) {
		logUpstreamFailure(error, c.get("requestId"));
		// Retrying cannot help and the admin should know why: say so in a 400 rather than an opaque 500.
		if (error instanceof MetadataLimitError) return errorResponse(c, metadataFull());
	} else {
		log("error", { msg: "unexpected error", errorName: error.name, requestId: c.get("requestId") });
	}
	return errorResponse(c, new ApiError("INTERNAL_ERROR", "Internal server error"));
};

/** JSON 404 for any path the API does not have. */
export const handleNotFound: NotFoundHandler<AppEnv> = (c) =>
	errorResponse(c, new ApiError("NOT_FOUND", `No such endpoint: ${c.req.method} ${c.req.path}`));

export function errorResponse(c: Context<AppEnv>, error: ApiError): Response {
	const body: ErrorBody = {
		error: error.message,
		code: error.code,
		requestId: c.get("requestId"),
		...(error.details ? { details: error.details } : {}),
	};
	return c.json(body, error.status, error.headers);
}

function logUpstreamFailure(error: UpstreamError, requestId: string): void {
	log("error", {
		msg: "upstream failure",
		service: error.service,
		problem: error.message,
		upstreamStatus: error.status ?? null,
		attempts: error.attempts,
		requestId,
	});
}
