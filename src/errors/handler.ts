import type { Context, ErrorHandler, Handler, NotFoundHandler } from "hono";
import type { AppEnv } from "../app-env.ts";
import { log } from "../log.ts";
import { ApiError } from "./api-error.ts";
import type { ErrorBody } from "./error-body.ts";
import { safeLogFields } from "./failure.ts";
import { INTERNAL_SERVER_ERROR, noSuchEndpoint, methodNotAllowed as notAllowed } from "./messages.ts";

/**
 * Answers every thrown error in the one error body. It knows two kinds: an `ApiError` says what went
 * wrong and is answered as it is (its `log` fields, when a server-side failure caused it, leave a line);
 * anything else is a 500 whose only trace is a log line — an `InternalFailure`'s own safe fields, or
 * just the error's name — never a stack, an upstream message or a secret.
 *
 * @example
 * app.onError(handleError);
 */
export const handleError: ErrorHandler<AppEnv> = (error, c) => {
	const requestId = c.get("requestId");
	if (error instanceof ApiError) {
		if (error.log) log("error", { ...error.log, requestId });
		return errorResponse(c, error);
	}
	log("error", { ...safeLogFields(error), requestId });
	return errorResponse(c, new ApiError("INTERNAL_ERROR", INTERNAL_SERVER_ERROR));
};

/** JSON 404 for any path the API does not have. */
export const handleNotFound: NotFoundHandler<AppEnv> = (c) => {
	// The request log says "(no such path)", not this path: it may hold a token pasted into the URL.
	c.set("unknownPath", true);
	return errorResponse(c, new ApiError("NOT_FOUND", noSuchEndpoint(c.req.method)));
};

/**
 * The handler for the methods a path does not offer: `405 METHOD_NOT_ALLOWED` in the one error body,
 * with `Allow` listing `allowed`. Register it with `.all()` after the path's real methods.
 *
 * @example
 * new TrieHono<AppEnv>().get("/", handler).all("/", methodNotAllowed("GET, HEAD"));
 */
export function methodNotAllowed(allowed: string): Handler<AppEnv> {
	return function methodNotAllowed(c) {
		throw new ApiError("METHOD_NOT_ALLOWED", notAllowed(c.req.method, allowed), {
			headers: { Allow: allowed },
		});
	};
}

function errorResponse(c: Context<AppEnv>, error: ApiError): Response {
	const body: ErrorBody = {
		error: error.message,
		code: error.code,
		requestId: c.get("requestId"),
		...(error.details ? { details: error.details } : {}),
	};
	return c.json(body, error.status, error.headers);
}
