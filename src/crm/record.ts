/**
 * The organization's CRM record as Clerk keeps it at `private_metadata.crm`, and every rule about it:
 * how it is read (the health-fields-alone rule included), its health, what GET shows of it, how a new
 * one is made and sealed, how its key is opened, and what seals it. GET, the RPC, key rotation and
 * `npm run keys:report` all read records through here, so they cannot disagree about one.
 */
import { apiKeyEnvelopeSchema, decryptApiKey, sealApiKey } from "../crypto/api-key-envelope.ts";
import type { KeyRing } from "../crypto/key-ring.ts";
import { InternalFailure } from "../errors/failure.ts";
import { closeApiKeyId, maskApiKey, visibleLast4 } from "./api-key.ts";
import {
	type ConnectionStatus,
	type Provider,
	type SettingsResponse,
	STORED_RECORD_FIELDS,
	type StoredRecord,
	storedRecordSchema,
} from "./schemas.ts";

/** Where in the organization's private metadata the record lives. */
export const METADATA_KEY = "crm";

/** GET's body when no CRM is connected. */
export const NOT_CONNECTED: SettingsResponse = { connected: false, provider: null, apiKeyMasked: null };

/**
 * The fields a check of the key writes. Clerk has no conditional write, so a check written from outside
 * this service just after a disconnect merges them into the removed record: a record of these alone
 * means nothing is connected.
 */
const HEALTH_FIELDS: readonly string[] = ["status", "checkedAt", "verifiedAt"];

/** What `private_metadata.crm` holds: a record, nothing, or something that is not a CRM record. */
export type RecordRead = StoredRecord | null | "unreadable";

/** Reads the value of `private_metadata.crm`. */
export function readRecord(crm: unknown): RecordRead {
	if (crm === undefined || crm === null) return null;
	if (typeof crm === "object" && Object.keys(crm).every((field) => HEALTH_FIELDS.includes(field))) {
		return null;
	}
	const parsed = storedRecordSchema.safeParse(crm);
	return parsed.success ? parsed.data : "unreadable";
}

/**
 * A record's health as GET and the RPC show it. Records saved before `status` and `checkedAt` existed
 * are told by `verifiedAt`, the one check they could have had.
 */
export function healthOf(record: StoredRecord): { status: ConnectionStatus; checkedAt: string | null } {
	return {
		status: record.status ?? (record.verifiedAt ? "verified" : "unverified"),
		checkedAt: record.checkedAt ?? record.verifiedAt ?? null,
	};
}

/** The outcome of a check with the CRM, as the record keeps it. */
export type Health = { status: ConnectionStatus; checkedAt: string; verifiedAt?: string };

export function healthAfterCheck(accepted: boolean, checkedAt: string): Health {
	return accepted
		? { status: "verified", checkedAt, verifiedAt: checkedAt }
		: { status: "rejected", checkedAt };
}

/** What GET shows of the stored record (never the key, nor its envelope). */
export function settingsOf(record: StoredRecord | null): SettingsResponse {
	if (record === null) return NOT_CONNECTED;
	// Records written before apiKeyLast4 existed hold the plaintext key to derive it from; an
	// envelope without apiKeyLast4 cannot be shown without decrypting, which GET never does.
	const last4 =
		record.apiKeyLast4 !== undefined
			? record.apiKeyLast4
			: typeof record.apiKey === "string"
				? visibleLast4(record.provider, record.apiKey)
				: null;
	const { status, checkedAt } = healthOf(record);
	return {
		connected: true,
		provider: record.provider,
		connectedAt: record.connectedAt,
		apiKeyMasked: maskApiKey(last4),
		...(record.apiKeyId ? { apiKeyId: record.apiKeyId } : {}),
		...(record.connectedBy ? { connectedBy: record.connectedBy } : {}),
		...(record.verifiedAt ? { verifiedAt: record.verifiedAt } : {}),
		status,
		...(checkedAt ? { checkedAt } : {}),
	};
}

/** A new connection's record; its key sealed when a ring is set. */
export async function newRecord(
	orgId: string,
	connection: {
		provider: Provider;
		apiKey: string;
		connectedBy: string;
		connectedAt: string;
		verified: boolean;
	},
	keyRing: KeyRing | null,
): Promise<StoredRecord> {
	const { provider, apiKey, connectedAt, verified } = connection;
	return {
		provider,
		apiKey: keyRing ? await sealApiKey(apiKey, orgId, keyRing) : apiKey,
		apiKeyLast4: visibleLast4(provider, apiKey),
		apiKeyId: closeApiKeyId(provider, apiKey),
		connectedAt,
		connectedBy: connection.connectedBy,
		verifiedAt: verified ? connectedAt : null,
		status: verified ? "verified" : "unverified",
		checkedAt: verified ? connectedAt : null,
	};
}

/**
 * The metadata patch that stores `record` (or removes it, for null). Clerk deep-merges metadata, so a
 * field left out would survive from an earlier record: every field is written, null where it has none.
 */
export function recordPatch(record: StoredRecord | null): Record<string, unknown> {
	if (record === null) return { [METADATA_KEY]: null };
	return {
		[METADATA_KEY]: Object.fromEntries(STORED_RECORD_FIELDS.map((field) => [field, record[field] ?? null])),
	};
}

/** Whether two reads of the record hold the same connection: saved at the same time, with the same key. */
export function sameConnection(a: StoredRecord, b: StoredRecord): boolean {
	return a.connectedAt === b.connectedAt && JSON.stringify(a.apiKey) === JSON.stringify(b.apiKey);
}

/**
 * The plaintext key of a stored record. With a key ring, a plaintext key is refused: anyone who can
 * write Clerk metadata could have planted it, and sealed storage is what this deployment promised.
 * Throws an InternalFailure (`plaintext-refused`, `key-does-not-open`).
 */
export async function openKey(record: StoredRecord, orgId: string, keyRing: KeyRing | null): Promise<string> {
	if (keyRing && typeof record.apiKey === "string") {
		throw new InternalFailure(
			"plaintext-refused",
			"the stored CRM key is in plaintext although CRM_ENCRYPTION_KEYS is set: refused; the organization's admin must reconnect the CRM",
		);
	}
	return decryptApiKey(record, orgId, keyRing ?? undefined);
}

/**
 * What seals a record: the id of the key that sealed its envelope; `plaintext` for a key stored without
 * a ring; `unreadable` for something that is not a CRM record. Null when nothing is connected.
 */
export type Sealing = { kid: string } | "plaintext" | "unreadable" | null;

export function sealingOf(read: RecordRead): Sealing {
	if (read === null || read === "unreadable") return read;
	if (typeof read.apiKey === "string") return "plaintext";
	return { kid: apiKeyEnvelopeSchema.parse(read.apiKey).kid };
}

/** Whether a record is sealed with another key than the ring's current one (or is plaintext to seal). */
export function needsSealing(read: RecordRead, keyRing: KeyRing, sealPlaintext: boolean): boolean {
	const sealing = sealingOf(read);
	if (sealing === "plaintext") return sealPlaintext;
	return sealing !== null && typeof sealing === "object" && sealing.kid !== keyRing.primaryId;
}
