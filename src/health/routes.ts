import type { AppEnv } from "../app-env.ts";
import { methodNotAllowed } from "../errors/method-not-allowed.ts";
import { Hono } from "../http/hono.ts";
import type { HealthResponse } from "./schemas.ts";

const OK: HealthResponse = { status: "ok" };

/**
 * `GET /api/v1/health`: answers `{ "status": "ok" }` without authentication, configuration or any call
 * to Clerk, through the middleware every request passes (request id, log line, `no-store`). Mount it
 * before `services()`, like the OpenAPI document. `npm run bench` uses it as its baseline.
 *
 * @example
 * app.route(HEALTH_PATH, healthRoutes);
 */
export const healthRoutes = new Hono<AppEnv>()
	.get("/", (c) => c.json(OK))
	.all("/", methodNotAllowed("GET, HEAD"));
