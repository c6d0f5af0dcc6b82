import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env.ts";
import { clerkOrganizationStore } from "../clerk/organization-store.ts";
import { checkCloseApiKey } from "../close/close-client.ts";
import { loadConfig } from "../config/config.ts";
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
			crmSettingsService({
				store: clerkOrganizationStore(config),
				cache: settingsCache(c.env.SETTINGS_CACHE, config, (fields) =>
					log("warn", { ...fields, requestId: c.get("requestId") }),
				),
				now: () => new Date(),
				keyRing: config.encryptionKeys,
				checkCloseApiKey: (apiKey) => checkCloseApiKey(config.closeApiUrl, apiKey),
			}),
		);
		await next();
	};
}
