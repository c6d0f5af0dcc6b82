import type { OrganizationStore } from "../clerk/organization-store.ts";
import { UpstreamError } from "../http/fetch-with-retry.ts";
import { closeApiKeyId, maskApiKey, visibleLast4 } from "./api-key.ts";
import {
	type DisconnectResponse,
	type SaveSettingsRequest,
	type SaveSettingsResponse,
	type SettingsResponse,
	STORED_RECORD_FIELDS,
	type StoredRecord,
	storedRecordSchema,
} from "./schemas.ts";

/** Where in the organization's private metadata the record lives. */
export const METADATA_KEY = "crm";

const NOT_CONNECTED: SettingsResponse = { connected: false, provider: null, apiKeyMasked: null };

/**
 * Reads and writes an organization's CRM settings, one Clerk call per operation.
 *
 * @example
 * const settings = crmSettingsService(store, () => new Date());
 * await settings.connect("org_1", "user_1", { provider: "close", apiKey: "api_x.y" });
 */
export function crmSettingsService(store: OrganizationStore, now: () => Date) {
	return {
		async read(orgId: string): Promise<SettingsResponse> {
			const metadata = await store.readPrivateMetadata(orgId);
			const stored = metadata[METADATA_KEY];
			if (stored === undefined || stored === null) return NOT_CONNECTED;

			const parsed = storedRecordSchema.safeParse(stored);
			if (!parsed.success) {
				throw new UpstreamError("clerk", "private_metadata.crm is not a CRM settings record", {
					attempts: 1,
				});
			}
			return toSettingsResponse(parsed.data);
		},

		async connect(orgId: string, userId: string, input: SaveSettingsRequest): Promise<SaveSettingsResponse> {
			const record: StoredRecord = {
				provider: input.provider,
				apiKey: input.apiKey,
				apiKeyLast4: visibleLast4(input.apiKey),
				apiKeyId: closeApiKeyId(input.provider, input.apiKey),
				connectedAt: now().toISOString(),
				connectedBy: userId,
			};
			await store.mergePrivateMetadata(orgId, { [METADATA_KEY]: withEveryField(record) });
			return { success: true, provider: record.provider, connectedAt: record.connectedAt };
		},

		async disconnect(orgId: string): Promise<DisconnectResponse> {
			await store.mergePrivateMetadata(orgId, { [METADATA_KEY]: null });
			return { success: true, disconnected: true };
		},
	};
}

export type CrmSettingsService = ReturnType<typeof crmSettingsService>;

function toSettingsResponse(record: StoredRecord): SettingsResponse {
	// Records written before apiKeyLast4 existed still hold the plaintext key to derive it from.
	const last4 = record.apiKeyLast4 !== undefined ? record.apiKeyLast4 : visibleLast4(record.apiKey);
	return {
		connected: true,
		provider: record.provider,
		connectedAt: record.connectedAt,
		apiKeyMasked: maskApiKey(last4),
		...(record.apiKeyId ? { apiKeyId: record.apiKeyId } : {}),
		...(record.connectedBy ? { connectedBy: record.connectedBy } : {}),
	};
}

/** Clerk deep-merges metadata, so a field left out would survive from an earlier record: null it. */
function withEveryField(record: StoredRecord): Record<string, unknown> {
	return Object.fromEntries(STORED_RECORD_FIELDS.map((field) => [field, record[field] ?? null]));
}
