import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env.ts";
import { ApiError } from "../errors/api-error.ts";
import { ORGANIZATION_ID_REQUIRED, WRITE_ROLE_REQUIRED } from "../errors/messages.ts";
import { authenticate, canWrite } from "./session.ts";

/**
 * Requires a verified Clerk session with an active organization and puts it at `c.get("session")`.
 * Every failure answers the reference's `400 Organization ID required`; the reason goes to the log.
 *
 * @example
 * settings.use(requireSession());
 */
export function requireSession(): MiddlewareHandler<AppEnv> {
	return async function requireSession(c, next) {
		const result = await authenticate(c.req.header("Authorization"), c.get("config"));
		if (!result.ok) {
			c.set("authFailure", result.detail ? `${result.reason}: ${result.detail}` : result.reason);
			throw new ApiError("VALIDATION_ERROR", ORGANIZATION_ID_REQUIRED);
		}
		c.set("session", result.session);
		await next();
	};
}

/**
 * Lets the request through only when the session's role is one of `CRM_WRITE_ROLES`; otherwise 403.
 *
 * @example
 * settings.post("/", requireWriteRole(), handler);
 */
export function requireWriteRole(): MiddlewareHandler<AppEnv> {
	return async function requireWriteRole(c, next) {
		if (!canWrite(c.get("session"), c.get("config").writeRoles)) {
			throw new ApiError("FORBIDDEN", WRITE_ROLE_REQUIRED);
		}
		await next();
	};
}
