import type { OrganizationStore } from "../clerk/organization-store.ts";
import type { CloseKeyCheck } from "../close/close-client.ts";
import { sealApiKey } from "../crypto/api-key-envelope.ts";
import type { KeyRing } from "../crypto/key-ring.ts";
import { ApiError } from "../errors/api-error.ts";
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

export interface CrmSettingsDependencies {
	store: OrganizationStore;
	now: () => Date;
	/** Seals keys at rest when set; null stores them in plaintext. */
	keyRing: KeyRing | null;
	checkCloseApiKey: (apiKey: string) => Promise<CloseKeyCheck>;
}

/**
 * Reads and writes an organization's CRM settings, one Clerk call per operation (plus, for a save
 * with `verify`, one call to Close before anything is written).
 *
 * @example
 * const settings = crmSettingsService({ store, now: () => new Date(), keyRing: null, checkCloseApiKey });
 * await settings.connect("org_1", "user_1", { provider: "close", apiKey: "api_x.y" });
 */
export function crmSettingsService({ store, now, keyRing, checkCloseApiKey }: CrmSettingsDependencies) {
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
			// The schema refuses verify for Bullhorn, so a verify reaching here is for Close.
			const verified = input.verify === true;
			if (verified && (await checkCloseApiKey(input.apiKey)) === "rejected") {
				throw new ApiError("VALIDATION_ERROR", "Close rejected the API key", {
					details: [{ path: "apiKey", message: "Close rejected the API key" }],
				});
			}
			const savedAt = now().toISOString();
			const record: StoredRecord = {
				provider: input.provider,
				apiKey: keyRing ? await sealApiKey(input.apiKey, orgId, keyRing) : input.apiKey,
				apiKeyLast4: visibleLast4(input.apiKey),
				apiKeyId: closeApiKeyId(input.provider, input.apiKey),
				connectedAt: savedAt,
				connectedBy: userId,
				verifiedAt: verified ? savedAt : null,
			};
			await store.mergePrivateMetadata(orgId, { [METADATA_KEY]: withEveryField(record) });
			return {
				success: true,
				provider: record.provider,
				connectedAt: record.connectedAt,
				...(verified ? { verified: true as const } : {}),
			};
		},

		async disconnect(orgId: string): Promise<DisconnectResponse> {
			await store.mergePrivateMetadata(orgId, { [METADATA_KEY]: null });
			return { success: true, disconnected: true };
		},
	};
}

export type CrmSettingsService = ReturnType<typeof crmSettingsService>;

function toSettingsResponse(record: StoredRecord): SettingsResponse {
	// Records written before apiKeyLast4 existed hold the plaintext key to derive it from; an
	// envelope without apiKeyLast4 cannot be shown without decrypting, which GET never does.
	const last4 =
		record.apiKeyLast4 !== undefined
			? record.apiKeyLast4
			: typeof record.apiKey === "string"
				? visibleLast4(record.apiKey)
				: null;
	return {
		connected: true,
		provider: record.provider,
		connectedAt: record.connectedAt,
		apiKeyMasked: maskApiKey(last4),
		...(record.apiKeyId ? { apiKeyId: record.apiKeyId } : {}),
		...(record.connectedBy ? { connectedBy: record.connectedBy } : {}),
		...(record.verifiedAt ? { verifiedAt: record.verifiedAt } : {}),
	};
}

/** Clerk deep-merges metadata, so a field left out would survive from an earlier record: null it. */
function withEveryField(record: StoredRecord): Record<string, unknown> {
	return Object.fromEntries(STORED_RECORD_FIELDS.map((field) => [field, record[field] ?? null]));
}
