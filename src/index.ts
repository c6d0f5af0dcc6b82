/** The Worker's entry: the CRM settings API as a Workers module, and the key-rotation Cron Trigger. */
import { newApp } from "./app.ts";
import { runKeyRotation } from "./rotation/scheduled.ts";

const app = newApp();

export default {
	fetch: app.fetch,
	scheduled(_controller, env, ctx) {
		ctx.waitUntil(runKeyRotation(env));
	},
} satisfies ExportedHandler<Env>;

// The organization's owner, behind the CRM_OWNER binding (wrangler.toml).
export { CrmRecordOwner } from "./crm/owner.ts";
// The key-rotation job's cursor and lease, behind the KEY_ROTATION binding.
export { KeyRotationState } from "./rotation/key-rotation.ts";
// Workers RPC for the platform's own Workers, over a service binding only (README, "Using the key from another Worker").
export { CrmCredentials } from "./rpc/credentials.ts";
