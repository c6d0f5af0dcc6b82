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
import type { EventConnection } from "./events.ts";
import {
	type ApiKeyRecord,
	type BullhornLoginRecord,
	type ConnectionStatus,
	isBullhornLogin,
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

/** What GET shows of the stored record (never a key, a token, a secret, nor their envelopes). */
export function settingsOf(record: StoredRecord | null): SettingsResponse {
	if (record === null) return NOT_CONNECTED;
	const { status, checkedAt } = healthOf(record);
	const health = {
		...(record.connectedBy ? { connectedBy: record.connectedBy } : {}),
		...(record.verifiedAt ? { verifiedAt: record.verifiedAt } : {}),
		status,
		...(checkedAt ? { checkedAt } : {}),
	};
	if (isBullhornLogin(record)) {
		return {
			connected: true,
			provider: record.provider,
			connectedAt: record.connectedAt,
			// No key to show a part of: the connection is an API user's.
			apiKeyMasked: maskApiKey(null),
			apiUser: record.apiUser,
			dataCenter: new URL(record.restUrl).hostname,
			...health,
		};
	}
	// Records written before apiKeyLast4 existed hold the plaintext key to derive it from; an
	// envelope without apiKeyLast4 cannot be shown without decrypting, which GET never does.
	const last4 =
		record.apiKeyLast4 !== undefined
			? record.apiKeyLast4
			: typeof record.apiKey === "string"
				? visibleLast4(record.provider, record.apiKey)
				: null;
	return {
		connected: true,
		provider: record.provider,
		connectedAt: record.connectedAt,
		apiKeyMasked: maskApiKey(last4),
		...(record.apiKeyId ? { apiKeyId: record.apiKeyId } : {}),
		...health,
	};
}

/** What identifies a connection in an event: what an admin recognizes it by, nothing secret. */
export function connectionOf(record: StoredRecord): EventConnection {
	return isBullhornLogin(record)
		? { provider: record.provider, connectedAt: record.connectedAt, apiUser: record.apiUser }
		: { provider: record.provider, connectedAt: record.connectedAt, apiKeyId: record.apiKeyId ?? null };
}

/** The same, from what GET shows (all the owner may know of a connection made before it last woke). */
export function connectionOfSettings(body: SettingsResponse): EventConnection | null {
	if (!body.connected || body.provider === null || body.connectedAt === undefined) return null;
	const { provider, connectedAt } = body;
	return body.apiUser !== undefined
		? { provider, connectedAt, apiUser: body.apiUser }
		: { provider, connectedAt, apiKeyId: body.apiKeyId ?? null };
}

/** A secret as the record keeps it: sealed for the organization when a ring is set. */
export async function sealSecret(value: string, orgId: string, keyRing: KeyRing | null) {
	return keyRing ? await sealApiKey(value, orgId, keyRing) : value;
}

/**
 * A secret the record keeps, in plaintext. With a key ring, a plaintext value is refused: anyone who can
 * write Clerk metadata could have planted it, and sealed storage is what this deployment promised.
 * Throws an InternalFailure (`plaintext-refused`, `key-does-not-open`).
 */
export async function openSecret(
	value: ApiKeyRecord["apiKey"],
	orgId: string,
	keyRing: KeyRing | null,
): Promise<string> {
	if (keyRing && typeof value === "string") {
		throw new InternalFailure(
			"plaintext-refused",
			"the stored CRM credential is in plaintext although CRM_ENCRYPTION_KEYS is set: refused; the organization's admin must reconnect the CRM",
		);
	}
	return decryptApiKey({ apiKey: value }, orgId, keyRing ?? undefined);
}

/** A new connection's record by API key; the key sealed when a ring is set. */
export async function newApiKeyRecord(
	orgId: string,
	connection: {
		provider: Provider;
		apiKey: string;
		connectedBy: string;
		connectedAt: string;
		verified: boolean;
	},
	keyRing: KeyRing | null,
): Promise<ApiKeyRecord> {
	const { provider, apiKey, connectedAt, verified } = connection;
	return {
		provider,
		apiKey: await sealSecret(apiKey, orgId, keyRing),
		apiKeyLast4: visibleLast4(provider, apiKey),
		apiKeyId: closeApiKeyId(provider, apiKey),
		connectedAt,
		connectedBy: connection.connectedBy,
		verifiedAt: verified ? connectedAt : null,
		status: verified ? "verified" : "unverified",
		checkedAt: verified ? connectedAt : null,
	};
}

/** A new Bullhorn connection by API user, just logged in (so verified); its secrets sealed when a ring is set. */
export async function newBullhornRecord(
	orgId: string,
	login: {
		apiUser: string;
		clientId: string;
		/** The organization's own client secret; none when the platform's client signed in. */
		clientSecret: string | null;
		refreshToken: string;
		oauthUrl: string;
		restUrl: string;
		connectedBy: string;
		connectedAt: string;
	},
	keyRing: KeyRing | null,
): Promise<BullhornLoginRecord> {
	const { connectedAt } = login;
	return {
		provider: "bullhorn",
		apiUser: login.apiUser,
		clientId: login.clientId,
		clientSecret: login.clientSecret === null ? null : await sealSecret(login.clientSecret, orgId, keyRing),
		refreshToken: await sealSecret(login.refreshToken, orgId, keyRing),
		oauthUrl: login.oauthUrl,
		restUrl: login.restUrl,
		connectedAt,
		connectedBy: login.connectedBy,
		verifiedAt: connectedAt,
		status: "verified",
		checkedAt: connectedAt,
	};
}

/**
 * The metadata patch that stores `record` (or removes it, for null). Clerk deep-merges metadata, so a
 * field left out would survive from an earlier record (of either shape): every field is written, null
 * where it has none.
 */
export function recordPatch(record: StoredRecord | null): Record<string, unknown> {
	if (record === null) return { [METADATA_KEY]: null };
	const fields = record as Record<string, unknown>;
	return {
		[METADATA_KEY]: Object.fromEntries(STORED_RECORD_FIELDS.map((field) => [field, fields[field] ?? null])),
	};
}

/**
 * Whether two reads of the record hold the same connection: saved at the same time, with the same key
 * (or the same API user and client: a Bullhorn connection's refresh token changes with every refresh).
 */
export function sameConnection(a: StoredRecord, b: StoredRecord): boolean {
	if (a.connectedAt !== b.connectedAt) return false;
	if (isBullhornLogin(a) || isBullhornLogin(b)) {
		return isBullhornLogin(a) && isBullhornLogin(b) && a.apiUser === b.apiUser && a.clientId === b.clientId;
	}
	return JSON.stringify(a.apiKey) === JSON.stringify(b.apiKey);
}

/**
 * What seals a record: the id of the key that sealed its envelope (a Bullhorn connection's refresh token
 * and client secret are sealed together); `plaintext` for a record stored without a ring; `unreadable`
 * for something that is not a CRM record. Null when nothing is connected.
 */
export type Sealing = { kid: string } | "plaintext" | "unreadable" | null;

export function sealingOf(read: RecordRead): Sealing {
	if (read === null || read === "unreadable") return read;
	const sealed = isBullhornLogin(read) ? read.refreshToken : read.apiKey;
	if (typeof sealed === "string") return "plaintext";
	return { kid: apiKeyEnvelopeSchema.parse(sealed).kid };
}

/** Whether a record is sealed with another key than the ring's current one (or is plaintext to seal). */
export function needsSealing(read: RecordRead, keyRing: KeyRing, sealPlaintext: boolean): boolean {
	const sealing = sealingOf(read);
	if (sealing === "plaintext") return sealPlaintext;
	return sealing !== null && typeof sealing === "object" && sealing.kid !== keyRing.primaryId;
}

/**
 * The record with every secret it keeps opened and sealed again under the ring's current key. Throws a
 * `key-does-not-open` InternalFailure when one does not open.
 */
export async function resealed(record: StoredRecord, orgId: string, keyRing: KeyRing): Promise<StoredRecord> {
	// Plaintext is opened as it is: whether to seal it was the caller's decision (needsSealing).
	const again = async (value: ApiKeyRecord["apiKey"]) =>
		sealApiKey(await decryptApiKey({ apiKey: value }, orgId, keyRing), orgId, keyRing);
	if (!isBullhornLogin(record)) return { ...record, apiKey: await again(record.apiKey) };
	return {
		...record,
		refreshToken: await again(record.refreshToken),
		clientSecret: record.clientSecret ? await again(record.clientSecret) : (record.clientSecret ?? null),
	};
}
