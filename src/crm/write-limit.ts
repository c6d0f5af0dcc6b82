import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env.ts";
import { ApiError } from "../errors/api-error.ts";
import { TOO_MANY_WRITES } from "../errors/messages.ts";

/** The limiter's window (wrangler.toml `[[ratelimits]]` period): the longest a refused caller waits. */
const WINDOW_SECONDS = 60;

/**
 * Limits writes per organization with the Workers Rate Limiting binding (`CRM_WRITE_LIMITER`, 10 a
 * minute); over the limit answers `429 RATE_LIMITED` with `Retry-After`. Placed after validation, so
 * only writes that would reach Clerk count.
 *
 * @example
 * settings.delete("/", requireSession(), requireWriteRole(), limitWrites(), handler);
 */
export function limitWrites(): MiddlewareHandler<AppEnv> {
	return async function limitWrites(c, next) {
		const { success } = await c.env.CRM_WRITE_LIMITER.limit({ key: c.get("session").orgId });
		if (!success) {
			throw new ApiError("RATE_LIMITED", TOO_MANY_WRITES, {
				headers: { "Retry-After": String(WINDOW_SECONDS) },
			});
		}
		await next();
	};
}
