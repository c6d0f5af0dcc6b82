/**
 * The Worker's side of the organization's owner (./owner.ts): one call per operation to the object
 * named by the organization id, carrying the Worker's configuration and clock. It hands back the
 * owner's outcomes as they are: HTTP answers them with `answerOf`, the RPC entrypoint with its own.
 */

import type { HistoryPage } from "./event-log.ts";
import type { EventActor } from "./events.ts";
import type { Outcome } from "./outcome.ts";
import type { CrmCredential, CrmRecordOwner, OwnerCall, OwnerSettings, ResealResult } from "./owner.ts";
import type {
	DisconnectResponse,
	SaveSettingsRequest,
	SaveSettingsResponse,
	SettingsResponse,
} from "./schemas.ts";

/**
 * @example
 * const owner = crmOwnerClient(env.CRM_OWNER, settings);
 * const outcome = await owner.read("org_2abc"); // { ok: true, value: { connected: false, … } }
 */
export function crmOwnerClient(
	namespace: DurableObjectNamespace<CrmRecordOwner>,
	settings: OwnerSettings,
	now: () => number = Date.now,
) {
	const owner = (orgId: string) => namespace.get(namespace.idFromName(orgId));
	const call = (orgId: string, by: EventActor): OwnerCall => ({ ...settings, orgId, now: now(), by });
	// RPC's typing drops the branches of a union whose fields are `unknown`: the values are Outcomes.
	const outcome = <T>(result: Promise<unknown>) => result as Promise<Outcome<T>>;
	return {
		read: (orgId: string, userId: string) =>
			outcome<SettingsResponse>(owner(orgId).read(call(orgId, { userId }))),
		save: (orgId: string, userId: string, request: SaveSettingsRequest) =>
			outcome<SaveSettingsResponse>(owner(orgId).save(call(orgId, { userId }), { ...request, userId })),
		disconnect: (orgId: string, userId: string) =>
			outcome<DisconnectResponse>(owner(orgId).disconnect(call(orgId, { userId }))),
		recheck: (orgId: string, userId: string) =>
			outcome<SettingsResponse>(owner(orgId).recheck(call(orgId, { userId }))),
		history: (orgId: string, userId: string, page: { limit: number; before: number | null }) =>
			outcome<HistoryPage>(owner(orgId).history(call(orgId, { userId }), page)),
		reportRejected: (orgId: string, connectedAt: string) =>
			outcome<boolean>(owner(orgId).reportRejected(call(orgId, { service: "reportRejected" }), connectedAt)),
		credential: (orgId: string) =>
			outcome<CrmCredential | null>(owner(orgId).credential(call(orgId, { service: "getCredential" }))),
		reseal: (orgId: string, sealPlaintext: boolean) =>
			outcome<ResealResult>(owner(orgId).reseal(call(orgId, { job: "rotation" }), sealPlaintext)),
	};
}

export type CrmOwnerClient = ReturnType<typeof crmOwnerClient>;
