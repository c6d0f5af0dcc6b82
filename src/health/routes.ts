import type { AppEnv } from "../app-env.ts";
import { ApiError } from "../errors/api-error.ts";
import { Hono } from "../http/hono.ts";
import type { HealthResponse } from "./schemas.ts";

export const HEALTH_PATH = "/api/v1/health";
const ALLOWED_METHODS = "GET, HEAD";
const OK: HealthResponse = { status: "ok" };

/**
 * `GET /api/v1/health`: answers `{ "status": "ok" }` without authentication and without calling
 * Clerk, through the same middleware as every API route (request id, log line, `no-store`,
 * configuration), so a broken configuration fails it too. `npm run bench` uses it as the baseline.
 *
 * @example
 * app.route(HEALTH_PATH, healthRoutes);
 */
export const healthRoutes = new Hono<AppEnv>()
	.get("/", (c) => c.json(OK))
	.all("/", (c) => {
		throw new ApiError(
			"METHOD_NOT_ALLOWED",
			`${c.req.method} is not supported here; use ${ALLOWED_METHODS}`,
			{ headers: { Allow: ALLOWED_METHODS } },
		);
	});
