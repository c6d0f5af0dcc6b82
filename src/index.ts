/** The Worker's entry: the CRM settings API as a Workers module. */
import { newApp } from "./app.ts";

export default newApp();
// The Durable Object class behind the SETTINGS_CACHE binding (wrangler.toml).
export { SettingsCache } from "./crm/settings-cache.ts";
// Workers RPC for the platform's own Workers, over a service binding only (README, "Using the key from another Worker").
export { CrmCredentials } from "./rpc/credentials.ts";
