import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env.ts";

/**
 * Writes one JSON object per line to the Worker's log (Workers Logs and `wrangler tail` index it).
 * Callers pass only fields that are safe to keep: never a token, an API key or the Clerk secret.
 *
 * @example
 * log("error", { msg: "configuration error", problem: "CLERK_JWT_KEY is not set", requestId });
 */
export function log(level: "info" | "warn" | "error", fields: Record<string, unknown>): void {
	const line = JSON.stringify({ level, ...fields });
	if (level === "error") console.error(line);
	else console.log(line);
}

/**
 * Logs one line per request once it is answered — method, path, status, duration, request id and, once
 * authenticated, the organization; never headers or bodies, so no token or key can reach the log —
 * except for reads that succeed. Writes are the audit trail and failures what operators look for, so
 * those are always logged; a successful GET or HEAD changes nothing and shows nothing secret, Workers
 * Logs records every invocation's status and duration anyway, and its own line would cost a busy read
 * path dearly (under `wrangler dev` about 40% of GET throughput; README, Logs).
 *
 * @example
 * app.use(requestLog());
 */
export function requestLog(): MiddlewareHandler<AppEnv> {
	return async function requestLog(c, next) {
		const started = Date.now();
		await next();
		const isRead = c.req.method === "GET" || c.req.method === "HEAD";
		if (isRead && c.res.status < 400) return;
		log(c.res.status >= 500 ? "error" : "info", {
			msg: "request",
			method: c.req.method,
			path: c.get("unknownPath") ? "(no such path)" : c.req.path,
			status: c.res.status,
			ms: Date.now() - started,
			requestId: c.get("requestId"),
			orgId: c.get("session")?.orgId ?? null,
			...(c.get("authFailure") ? { authFailure: c.get("authFailure") } : {}),
		});
	};
}
