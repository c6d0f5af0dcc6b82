import type { AppEnv } from "../app-env.ts";
import { methodNotAllowed } from "../errors/handler.ts";
import { TrieHono } from "../http/hono.ts";
import { allowOf, OPENAPI } from "../http/paths.ts";
import document from "./openapi.json" with { type: "json" };

/** Where the Worker serves its OpenAPI document (public, no authentication). */
export const OPENAPI_PATH = OPENAPI.path;

/**
 * Serves the OpenAPI document that `npm run openapi` (scripts/openapi/) generates from the zod schemas. It is public and
 * needs no configuration, so mount it before the middleware that parses the configuration: the
 * document stays readable even when the Worker is misconfigured.
 *
 * @example
 * app.route(OPENAPI_PATH, openApiRoutes);
 */
export const openApiRoutes = new TrieHono<AppEnv>()
	.get("/", (c) => {
		// A document with no secrets in it: any site may load it, e.g. an API explorer.
		c.header("Access-Control-Allow-Origin", "*");
		return c.json(document);
	})
	.all("/", methodNotAllowed(allowOf(OPENAPI)));
