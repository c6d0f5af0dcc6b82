/**
 * The lifecycle events of an organization's CRM connection: one per acknowledged change, sent to the
 * `CRM_EVENTS` queue through the organization's owner's outbox and kept as its audit history. An event
 * says what changed, when, who did it and which connection it was about — never a key, a token, a
 * password or a secret.
 */
import * as z from "zod/mini";
import { connectionStatusSchema, providerSchema } from "./schemas.ts";

export const EVENT_TYPES = ["connected", "replaced", "disconnected", "health_changed"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Who made the change: an admin (the session's user), a platform Worker's RPC call, or a job. */
export const eventActorSchema = z.union([
	z.object({ userId: z.string() }),
	z.object({ service: z.enum(["getCredential", "reportRejected"]) }),
	z.object({ job: z.literal("rotation") }),
]);
export type EventActor = z.infer<typeof eventActorSchema>;

/** Which connection an event is about: what an admin recognizes it by, nothing secret. */
export const eventConnectionSchema = z.object({
	provider: providerSchema,
	connectedAt: z.string(),
	/** A Close key's shareable id (`api_…`); null for other keys. */
	apiKeyId: z.optional(z.nullable(z.string())),
	/** A Bullhorn connection's API user. */
	apiUser: z.optional(z.string()),
});
export type EventConnection = z.infer<typeof eventConnectionSchema>;

export const crmEventSchema = z.object({
	/** Stable across redeliveries: consumers deduplicate by it. */
	id: z.string(),
	/** The organization's event number, 1, 2, 3…: consumers order by it and can tell a gap. */
	seq: z.number(),
	type: z.enum(EVENT_TYPES),
	orgId: z.string(),
	provider: providerSchema,
	/** When the change was acknowledged (ISO 8601). */
	at: z.string(),
	by: eventActorSchema,
	/** The connection the change made, or for `disconnected`, the one removed. */
	connection: eventConnectionSchema,
	/** `replaced`: the connection it replaced. */
	previous: z.optional(eventConnectionSchema),
	/** `health_changed`: the status before and after; `reconnect` when Bullhorn refused the stored sign-in. */
	health: z.optional(
		z.object({
			from: connectionStatusSchema,
			to: connectionStatusSchema,
			reconnectNeeded: z.optional(z.literal(true)),
		}),
	),
});
export type CrmEvent = z.infer<typeof crmEventSchema>;

/** Body of a 200 `GET …/settings/history`. */
export const historyResponseSchema = z.object({
	events: z.array(crmEventSchema),
	/** Pass as `?cursor=` for the next (older) page; null on the last page. */
	nextCursor: z.nullable(z.string()),
});
export type HistoryResponse = z.infer<typeof historyResponseSchema>;
