import type { Handler } from "hono";
import type { AppEnv } from "../app-env.ts";
import { ApiError } from "./api-error.ts";

/**
 * The handler for the methods a path does not offer: `405 METHOD_NOT_ALLOWED` in the one error body,
 * with `Allow` listing `allowed`. Register it with `.all()` after the path's real methods.
 *
 * @example
 * new Hono<AppEnv>().get("/", handler).all("/", methodNotAllowed("GET, HEAD"));
 */
export function methodNotAllowed(allowed: string): Handler<AppEnv> {
	return function methodNotAllowed(c) {
		throw new ApiError("METHOD_NOT_ALLOWED", `${c.req.method} is not supported here; use ${allowed}`, {
			headers: { Allow: allowed },
		});
	};
}
