import * as z from "zod/mini";
import type { AppEnv } from "../app-env.ts";
import { methodNotAllowed } from "../errors/handler.ts";
import { TrieHono } from "../http/hono.ts";
import { allowOf, HEALTH } from "../http/paths.ts";

/** Where the Worker answers its health check. */
export const HEALTH_PATH = HEALTH.path;

/**
 * Body of a 200 `GET /api/v1/health`: for the type and the OpenAPI document, never run by the Worker, so
 * built in an `@__PURE__` call that the bundler leaves out.
 */
export const healthResponseSchema = /* @__PURE__ */ (() => z.object({ status: z.literal("ok") }))();
export type HealthResponse = z.infer<typeof healthResponseSchema>;

const OK: HealthResponse = { status: "ok" };

/**
 * `GET /api/v1/health`: answers `{ "status": "ok" }` without authentication, configuration or any call
 * to Clerk, through the middleware every request passes (request id, log line, `no-store`). Mount it
 * before `services()`, like the OpenAPI document. `npm run bench` uses it as its baseline.
 *
 * @example
 * app.route(HEALTH_PATH, healthRoutes);
 */
export const healthRoutes = new TrieHono<AppEnv>()
	.get("/", (c) => c.json(OK))
	.all("/", methodNotAllowed(allowOf(HEALTH)));
