/**
 * The composition root: the configuration, parsed once per isolate, and the client of the
 * organizations' owners built from it — for HTTP requests, the RPC entrypoint and the rotation job.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env.ts";
import { type Config, loadConfig } from "./config/config.ts";
import { crmOwnerClient } from "./crm/owner-client.ts";

/**
 * Puts the configuration and the owners' client on each request, so that handlers read them with
 * `c.get(...)` instead of constructing clients themselves.
 *
 * @example
 * app.use("/api/v1/operations/*", services());
 */
export function services(): MiddlewareHandler<AppEnv> {
	return async function services(c, next) {
		const config = loadConfig(c.env);
		c.set("config", config);
		c.set("owners", ownersFor(c.env, config));
		await next();
	};
}

/**
 * The owners' client for this configuration.
 *
 * @example
 * const owners = ownersFor(env, loadConfig(env));
 */
export function ownersFor(env: Env, config: Config) {
	return crmOwnerClient(env.CRM_OWNER, {
		clerkApiUrl: config.clerkApiUrl,
		clerkSecretKey: config.clerkSecretKey,
		closeApiUrl: config.closeApiUrl,
		// Optional, so not in the generated Env; loadConfig has already checked it.
		encryptionKeys: (env as { CRM_ENCRYPTION_KEYS?: string }).CRM_ENCRYPTION_KEYS,
		cacheTtlMs: config.cacheTtlMs,
		staleIfErrorMs: config.staleIfErrorMs,
		bullhornLoginInfoUrl: config.bullhornLoginInfoUrl,
		bullhornClient: config.bullhornClient,
	});
}
