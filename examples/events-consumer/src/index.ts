/**
 * A consumer of the CRM-settings service's lifecycle events (queue `crm-events`, README.md): one event
 * per acknowledged change of an organization's CRM connection. Copy this folder, then put your own code
 * where it says YOUR CODE. Nothing here imports the service: the event's shape is written out below.
 */

type Provider = "close" | "bullhorn";
type Status = "verified" | "unverified" | "rejected";
/** Which connection an event is about: what an admin recognizes it by, never a key or a secret. */
export interface CrmConnection {
	provider: Provider;
	connectedAt: string;
	apiKeyId?: string | null; // a Close key's shareable id (`api_…`)
	apiUser?: string; // a Bullhorn connection's API user
}
/** The service's event (its `crmEventSchema`). */
export interface CrmEvent {
	id: string; // the same on every redelivery: deduplicate by it
	seq: number; // the organization's event number, 1, 2, 3…: order by it, and tell a gap
	type: "connected" | "replaced" | "disconnected" | "health_changed";
	orgId: string;
	provider: Provider;
	at: string; // when the change was acknowledged (ISO 8601)
	by: { userId: string } | { service: string };
	connection: CrmConnection; // the connection made, or for `disconnected` the one removed
	previous?: CrmConnection; // `replaced`: the connection it replaced
	health?: { from: Status; to: Status; reconnectNeeded?: true }; // `health_changed`
}

const TYPES: unknown[] = ["connected", "replaced", "disconnected", "health_changed"];
const isObject = (value: unknown): value is Record<string, unknown> =>
	typeof value === "object" && value !== null;

/** Checks what this Worker reads; a field the service adds later does not make an event unknown. */
export function isCrmEvent(body: unknown): body is CrmEvent {
	return (
		isObject(body) &&
		typeof body.id === "string" &&
		body.id !== "" &&
		Number.isSafeInteger(body.seq) &&
		TYPES.includes(body.type) &&
		typeof body.orgId === "string" &&
		(body.provider === "close" || body.provider === "bullhorn") &&
		isObject(body.connection) &&
		(body.type !== "health_changed" || (isObject(body.health) && typeof body.health.to === "string"))
	);
}

/**
 * YOUR CODE: replace these bodies. Throw when your work fails: the message is then retried, and after
 * `max_retries` (wrangler.toml) moved to the dead-letter queue. Events of one organization can arrive out
 * of order: if the order matters to you, keep the last `seq` you applied per organization and skip an
 * older event (a newer one already says where things stand).
 */
export const actions = {
	/** `connected` / `replaced`: start the organization's CRM sync, or restart it on the new connection. */
	async startSync(_event: CrmEvent, _env: Env): Promise<void> {},
	/** `disconnected`: the organization has no CRM connection any more: this is where its sync stops. */
	async stopSync(_event: CrmEvent, _env: Env): Promise<void> {},
	/**
	 * `health_changed` to `rejected`: the CRM refuses the stored key: pause the sync and tell the
	 * organization's admins; with `health.reconnectNeeded` (Bullhorn), ask them to connect again.
	 */
	async pauseSync(_event: CrmEvent, _env: Env): Promise<void> {},
};

async function act(event: CrmEvent, env: Env): Promise<void> {
	if (event.type === "connected" || event.type === "replaced") await actions.startSync(event, env);
	else if (event.type === "disconnected") await actions.stopSync(event, env);
	else if (event.health?.to === "rejected") await actions.pauseSync(event, env);
	// Other health changes (back to `verified`, say) need nothing here: resume a paused sync if you like.
}

/**
 * Deduplication by `id`, as a tiny example: the ids this isolate handled (the last 10,000). Delivery is at
 * least once, so an event can come twice, in one batch or later. An isolate's memory is not enough in
 * production (several isolates consume at once, and each forgets on restart): keep handled ids where
 * every consumer reads them, strongly consistent, e.g. a Durable Object per organization (which can keep
 * its last `seq` as well) or a D1 table keyed by `id`, written once your code has succeeded. Not KV: it
 * is eventually consistent, so a second delivery may not see the first's id yet.
 */
const handled = new Set<string>();
function remember(id: string): void {
	handled.add(id);
	for (const oldest of handled) {
		if (handled.size <= 10_000) break;
		handled.delete(oldest);
	}
}

export default {
	async queue(batch, env, _ctx) {
		for (const message of batch.messages) {
			const event: unknown = message.body;
			if (!isCrmEvent(event)) {
				// Acked, not retried: a redelivery brings the same body, so retrying cannot help; it would only
				// spend `max_retries` deliveries and then fill the dead-letter queue, which is kept for events
				// your code failed on. Logged with the queue's message id, never the body.
				console.warn(JSON.stringify({ msg: "crm event unknown", messageId: message.id }));
				message.ack();
				continue;
			}
			// One line per event, with these fields only: nothing else of the event is logged.
			const { id, seq, type, orgId, provider } = event;
			const fields = { id, seq, type, orgId, provider };
			if (handled.has(id)) {
				console.log(JSON.stringify({ msg: "crm event duplicate", ...fields }));
				message.ack();
				continue;
			}
			console.log(JSON.stringify({ msg: "crm event", ...fields }));
			try {
				await act(event, env);
				remember(id);
				message.ack();
			} catch (error) {
				// Your code failed: deliver it again later, 30 s, 1 min, 2 min… (attempts counts from 1).
				const delaySeconds = Math.min(30 * 2 ** (message.attempts - 1), 3600);
				const reason = error instanceof Error ? error.message : String(error);
				console.error(JSON.stringify({ msg: "crm event failed", ...fields, delaySeconds, reason }));
				message.retry({ delaySeconds });
			}
		}
	},
} satisfies ExportedHandler<Env>;
