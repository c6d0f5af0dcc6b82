/** The Worker's entry: the CRM settings API as a Workers module. */
import { newApp } from "./app.ts";

export default newApp();
// The Durable Object class behind the SETTINGS_CACHE binding (wrangler.toml).
export { SettingsCache } from "./crm/settings-cache.ts";
