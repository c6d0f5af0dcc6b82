import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env.ts";
import { clerkOrganizationStore } from "../clerk/organization-store.ts";
import { checkCloseApiKey } from "../close/close-client.ts";
import { type Config, loadConfig } from "../config/config.ts";
import { settingsCache } from "../crm/settings-cache.ts";
import { crmSettingsService } from "../crm/settings-service.ts";
import { log } from "./log.ts";

/**
 * Parses the configuration (once per isolate) and builds the services a request uses, so handlers
 * read them with `c.get(...)` instead of constructing clients themselves.
 *
 * @example
 * app.use("/api/v1/operations/*", services());
 */
export function services(): MiddlewareHandler<AppEnv> {
	return async function services(c, next) {
		const config = loadConfig(c.env);
		c.set("config", config);
		c.set(
			"crmSettings",
			crmSettingsFor(c.env, config, (fields) => log("warn", { ...fields, requestId: c.get("requestId") })),
		);
		await next();
	};
}

/**
 * The settings service over the real Clerk, Close and settings cache: for HTTP requests (above) and
 * the RPC entrypoint alike.
 *
 * @example
 * const settings = crmSettingsFor(env, loadConfig(env), (fields) => log("warn", fields));
 */
export function crmSettingsFor(env: Env, config: Config, warn: (fields: Record<string, unknown>) => void) {
	return crmSettingsService({
		store: clerkOrganizationStore(config),
		cache: settingsCache(env.SETTINGS_CACHE, config, warn),
		now: () => new Date(),
		keyRing: config.encryptionKeys,
		checkCloseApiKey: (apiKey) => checkCloseApiKey(config.closeApiUrl, apiKey),
	});
}
