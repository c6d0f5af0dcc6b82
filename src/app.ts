import type { Context, MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import type { AppEnv } from "./app-env.ts";
import { settingsRoutes } from "./crm/routes.ts";
import { handleError, handleNotFound } from "./errors/handler.ts";
import { healthRoutes } from "./health/routes.ts";
import { TrieHono } from "./http/hono.ts";
import {
	corsMethodsOf,
	DOCS,
	HEALTH,
	HISTORY,
	OPENAPI,
	type PathMethods,
	SETTINGS,
	VERIFY,
} from "./http/paths.ts";
import { requestLog } from "./log.ts";
import { docsRoutes, openApiRoutes } from "./openapi/routes.ts";
import { services } from "./services.ts";

/**
 * Builds the API: request ids, logging, `no-store`, the public health check, OpenAPI document and its
 * reference page (the last two are static assets: openapi/routes.ts), CORS for `CLERK_AUTHORIZED_PARTIES`,
 * the settings routes, and JSON errors for everything else.
 *
 * @example
 * export default newApp(); // a Workers module: { fetch }
 */
export function newApp() {
	const app = new TrieHono<AppEnv>();

	app.use(requestId({ limitLength: 128 }));
	app.use(requestLog());
	app.use(async function noStore(c, next) {
		await next();
		c.header("Cache-Control", "no-store");
	});

	// Before `services()`: the health check and the public document and page need no configuration or Clerk.
	app.route(HEALTH.path, healthRoutes);
	app.route(OPENAPI.path, openApiRoutes);
	app.route(DOCS.path, docsRoutes);

	// Scoped to the settings paths, so an OPTIONS to a path the API lacks is a 404, not a preflight answer.
	for (const path of [SETTINGS, VERIFY, HISTORY]) {
		app.use(path.path, services(), corsForAuthorizedParties(path));
	}
	app.route(SETTINGS.path, settingsRoutes);

	app.notFound(handleNotFound);
	app.onError(handleError);
	return app;
}

/**
 * CORS for the front-end origins of `CLERK_AUTHORIZED_PARTIES`, offering the path's own methods. With
 * none configured the API is not meant for browsers: no `Access-Control-*` header at all, and an OPTIONS
 * is an ordinary request.
 */
function corsForAuthorizedParties(path: PathMethods): MiddlewareHandler<AppEnv> {
	const allowAuthorizedParties = cors({
		origin: (origin, c: Context<AppEnv>) =>
			c.get("config").authorizedParties.includes(origin) ? origin : null,
		allowMethods: corsMethodsOf(path),
		allowHeaders: ["Authorization", "Content-Type", "X-Request-Id"],
		exposeHeaders: ["X-Request-Id", "Retry-After"],
		maxAge: 600,
	});
	return async function corsForAuthorizedParties(c, next) {
		if (c.get("config").authorizedParties.length === 0) return next();
		return allowAuthorizedParties(c, next);
	};
}
