import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import type { AppEnv } from "./app-env.ts";
import { SETTINGS_PATH, settingsRoutes } from "./crm/routes.ts";
import { handleError, handleNotFound } from "./errors/handler.ts";
import { HEALTH_PATH, healthRoutes } from "./health/routes.ts";
import { Hono } from "./http/hono.ts";
import { requestLog } from "./middleware/request-log.ts";
import { services } from "./middleware/services.ts";

/**
 * Builds the API: request ids, logging, `no-store`, CORS for `CLERK_AUTHORIZED_PARTIES`, the health
 * and settings routes, and JSON errors for everything else.
 *
 * @example
 * export default newApp(); // a Workers module: { fetch }
 */
export function newApp() {
	const app = new Hono<AppEnv>();

	app.use(requestId({ limitLength: 128 }));
	app.use(requestLog());
	app.use(async function noStore(c, next) {
		await next();
		c.header("Cache-Control", "no-store");
	});

	app.use("/api/*", services());
	app.use(
		"/api/*",
		cors({
			origin: (origin, c) => (c.get("config").authorizedParties.includes(origin) ? origin : null),
			allowMethods: ["GET", "POST", "DELETE"],
			allowHeaders: ["Authorization", "Content-Type", "X-Request-Id"],
			exposeHeaders: ["X-Request-Id", "Retry-After"],
			maxAge: 600,
		}),
	);

	app.route(HEALTH_PATH, healthRoutes);
	app.route(SETTINGS_PATH, settingsRoutes);

	app.notFound(handleNotFound);
	app.onError(handleError);
	return app;
}
