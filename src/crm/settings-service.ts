import {
	MetadataLimitError,
	OrganizationNotFoundError,
	type OrganizationStore,
} from "../clerk/organization-store.ts";
import type { CloseKeyCheck } from "../close/close-client.ts";
import { DecryptionError, decryptApiKey, sealApiKey } from "../crypto/api-key-envelope.ts";
import type { KeyRing } from "../crypto/key-ring.ts";
import { ApiError, InternalFailure } from "../errors/api-error.ts";
import {
	CLERK_UNAVAILABLE,
	CLOSE_REJECTED_KEY,
	CLOSE_UNREACHABLE,
	CLOSE_UNREACHABLE_ON_CHECK,
	METADATA_FULL,
	NOTHING_TO_CHECK,
	ORGANIZATION_NOT_IN_CLERK,
} from "../errors/messages.ts";
import { UpstreamError } from "../http/fetch-with-retry.ts";
import { closeApiKeyId, maskApiKey, visibleLast4 } from "./api-key.ts";
import {
	BULLHORN_UNCHECKABLE,
	type ConnectionStatus,
	type DisconnectResponse,
	type SaveSettingsRequest,
	type SaveSettingsResponse,
	type SettingsResponse,
	STORED_RECORD_FIELDS,
	type StoredRecord,
	storedRecordSchema,
} from "./schemas.ts";
import type { SettingsCacheClient } from "./settings-cache.ts";

/** Where in the organization's private metadata the record lives. */
export const METADATA_KEY = "crm";

const NOT_CONNECTED: SettingsResponse = { connected: false, provider: null, apiKeyMasked: null };

/** How long a caller should wait before asking again to verify with a Close that could not be reached. */
const CLOSE_RETRY_AFTER_SECONDS = "30";
/**
 * `Retry-After` when Clerk is unavailable: Clerk's own wait, capped, or without one Clerk's rate-limit
 * window (10 s, Clerk's "system limits" page).
 */
const CLERK_RETRY_AFTER = { defaultSeconds: 10, maxSeconds: 60 };

/** `private_metadata.crm` holds something that is not a CRM settings record: a data problem, not Clerk's. */
export class UnreadableRecordError extends InternalFailure {
	constructor() {
		super("private_metadata.crm is not a CRM settings record");
		this.name = "UnreadableRecordError";
	}

	logFields() {
		return { msg: "unreadable stored record", problem: this.message };
	}
}

/** The stored key does not open with the key ring: a missing old key, tampering, a malformed envelope. */
class StoredKeyUnreadableError extends InternalFailure {
	constructor(cause: DecryptionError) {
		super(cause.message, { cause });
		this.name = "StoredKeyUnreadableError";
	}

	logFields() {
		return { msg: "stored key does not open", problem: this.message };
	}
}

/** Why a service using the key reports it: the CRM answered 401 or 403. */
export const REJECTION_REASONS = ["unauthorized", "forbidden"] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export interface CrmSettingsDependencies {
	store: OrganizationStore;
	/** Answers reads without Clerk while it has a fresh copy; told of every write. */
	cache: SettingsCacheClient;
	now: () => Date;
	/** Seals keys at rest when set; null stores them in plaintext. */
	keyRing: KeyRing | null;
	checkCloseApiKey: (apiKey: string) => Promise<CloseKeyCheck>;
}

/**
 * Reads and writes an organization's CRM settings: reads through the settings cache (a Clerk call only
 * when it has no fresh copy), writes with one Clerk call (plus, for a save with `verify`, one call to
 * Close before anything is written), each write then told to the cache. It is the boundary where the typed
 * failures of its clients become answers: Clerk's metadata limit a 400, Close unreachable a 503, Close
 * refusing the key a 400, Clerk throttling or failing past the retry budget a 503 with `Retry-After`,
 * an organization Clerk does not know a 404; every other failure goes on as it is and answers 500.
 *
 * @example
 * const settings = crmSettingsService({ store, cache, now: () => new Date(), keyRing: null, checkCloseApiKey });
 * await settings.connect("org_1", "user_1", { provider: "close", apiKey: "api_x.y" });
 */
export function crmSettingsService({
	store,
	cache,
	now,
	keyRing,
	checkCloseApiKey,
}: CrmSettingsDependencies) {
	/** One Clerk write; when its outcome is unknown (Clerk may still apply it), the cache lets go of its copy. */
	const write = async (orgId: string, patch: Record<string, unknown>) => {
		try {
			await fromClerk(() => store.mergePrivateMetadata(orgId, patch));
		} catch (error) {
			if (error instanceof ApiError && error.code === "UPSTREAM_UNAVAILABLE") await cache.forget(orgId);
			throw error;
		}
	};

	return {
		read(orgId: string): Promise<SettingsResponse> {
			return cache.read(orgId);
		},

		async connect(orgId: string, userId: string, input: SaveSettingsRequest): Promise<SaveSettingsResponse> {
			// The schema refuses verify for Bullhorn, so a verify reaching here is for Close.
			const verified = input.verify === true;
			if (verified) assertCloseAccepts(await checkCloseApiKey(input.apiKey));
			const savedAt = now().toISOString();
			const record: StoredRecord = {
				provider: input.provider,
				apiKey: keyRing ? await sealApiKey(input.apiKey, orgId, keyRing) : input.apiKey,
				apiKeyLast4: visibleLast4(input.provider, input.apiKey),
				apiKeyId: closeApiKeyId(input.provider, input.apiKey),
				connectedAt: savedAt,
				connectedBy: userId,
				verifiedAt: verified ? savedAt : null,
				status: verified ? "verified" : "unverified",
				checkedAt: verified ? savedAt : null,
			};
			await write(orgId, { [METADATA_KEY]: withEveryField(record) });
			await cache.remember(orgId, toSettingsResponse(record));
			return {
				success: true,
				provider: record.provider,
				connectedAt: record.connectedAt,
				...(verified ? { verified: true as const } : {}),
			};
		},

		async disconnect(orgId: string): Promise<DisconnectResponse> {
			await write(orgId, { [METADATA_KEY]: null });
			await cache.remember(orgId, NOT_CONNECTED);
			return { success: true, disconnected: true };
		},

		/**
		 * Checks the stored key with the CRM again (Close: one `GET /api/v1/me/` with the key, decrypted
		 * here) and records the outcome: `verified` or `rejected`, and when. Answers the settings as GET
		 * now shows them. Close unreachable changes nothing (503).
		 */
		async recheck(orgId: string): Promise<SettingsResponse> {
			const record = await readStoredRecord(store, orgId);
			if (!record) throw new ApiError("NOT_FOUND", NOTHING_TO_CHECK);
			if (record.provider !== "close") throw new ApiError("VALIDATION_ERROR", BULLHORN_UNCHECKABLE);
			const check = await checkCloseApiKey(await openStoredKey(record, orgId, keyRing));
			if (check.outcome === "unreachable") throw closeUnreachable(CLOSE_UNREACHABLE_ON_CHECK, check.failure);
			// Close takes up to 3 s: an admin may have disconnected or saved another key meanwhile. The
			// outcome belongs to the key that was checked, and is written only while it is still connected;
			// otherwise the answer is what there is now: nothing to check (404), or the new connection as GET
			// shows it. (Clerk merges: a status written after a disconnect would leave a record of health
			// fields alone; after a new save, it would mark the new key with the old key's outcome.)
			const current = await readStoredRecord(store, orgId);
			if (!current) throw new ApiError("NOT_FOUND", NOTHING_TO_CHECK);
			if (!sameConnection(current, record)) return toSettingsResponse(current);
			const checkedAt = now().toISOString();
			const health =
				check.outcome === "accepted"
					? { status: "verified" as const, checkedAt, verifiedAt: checkedAt }
					: { status: "rejected" as const, checkedAt };
			return recordHealth(orgId, current, health);
		},

		/**
		 * A service calling the CRM with the key was refused (401/403): marks the connection `rejected`.
		 * `connectedAt` names the connection the service used; when another has replaced it (or none is
		 * connected), nothing changes and the answer is false. Writes to Clerk only on a change of status.
		 */
		async reportRejected(orgId: string, connectedAt: string): Promise<boolean> {
			const record = await readStoredRecord(store, orgId);
			if (!record || record.connectedAt !== connectedAt) return false;
			if (healthOf(record).status !== "rejected") {
				await recordHealth(orgId, record, { status: "rejected", checkedAt: now().toISOString() });
			}
			return true;
		},

		/**
		 * The connected record and its plaintext key, for the platform's Workers (RPC), or null when
		 * nothing is connected. Read from Clerk, never from the cache, which holds no key.
		 *
		 * With a key ring, a plaintext key is refused: anyone who can write Clerk metadata could have
		 * planted it, and sealed storage is what this deployment promised.
		 */
		async credential(orgId: string): Promise<{ record: StoredRecord; apiKey: string } | null> {
			const record = await readStoredRecord(store, orgId);
			if (!record) return null;
			if (keyRing && typeof record.apiKey === "string") throw new PlaintextKeyRefusedError();
			return { record, apiKey: await openStoredKey(record, orgId, keyRing) };
		},
	};

	/** Writes a new status (and its times) into the record, and tells the cache what GET shows now. */
	async function recordHealth(
		orgId: string,
		record: StoredRecord,
		health: { status: ConnectionStatus; checkedAt: string; verifiedAt?: string },
	): Promise<SettingsResponse> {
		// Only these fields: the rest of the record (the key above all) stays as Clerk holds it.
		await write(orgId, { [METADATA_KEY]: health });
		const body = toSettingsResponse({ ...record, ...health });
		await cache.remember(orgId, body);
		return body;
	}
}

/** With a key ring configured, the stored key is in plaintext: refused (see `credential`). */
class PlaintextKeyRefusedError extends InternalFailure {
	constructor() {
		super(
			"the stored CRM key is in plaintext although CRM_ENCRYPTION_KEYS is set: refused; the organization's admin must reconnect the CRM",
		);
		this.name = "PlaintextKeyRefusedError";
	}

	logFields() {
		return { msg: "plaintext key refused", problem: this.message };
	}
}

/** The plaintext key of a stored record; an envelope is opened with the ring. */
async function openStoredKey(record: StoredRecord, orgId: string, keyRing: KeyRing | null): Promise<string> {
	try {
		return await decryptApiKey(record, orgId, keyRing ?? undefined);
	} catch (error) {
		throw error instanceof DecryptionError ? new StoredKeyUnreadableError(error) : error;
	}
}

/** Whether two reads of the record hold the same connection: saved at the same time, with the same key. */
function sameConnection(a: StoredRecord, b: StoredRecord): boolean {
	return a.connectedAt === b.connectedAt && JSON.stringify(a.apiKey) === JSON.stringify(b.apiKey);
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

export type CrmSettingsService = ReturnType<typeof crmSettingsService>;

/**
 * The settings as GET shows them, read from the organization's private metadata in Clerk (one call).
 * The settings cache calls this on a miss.
 *
 * @example
 * const body = await readSettingsFromClerk(clerkOrganizationStore(config), "org_2abc");
 */
export async function readSettingsFromClerk(
	store: OrganizationStore,
	orgId: string,
): Promise<SettingsResponse> {
	const record = await readStoredRecord(store, orgId);
	return record ? toSettingsResponse(record) : NOT_CONNECTED;
}

/**
 * The fields a check of the key writes. Clerk has no conditional write, so a check that lands just after
 * a disconnect merges them into the removed record: a record of these alone means nothing is connected.
 */
const HEALTH_FIELDS: readonly string[] = ["status", "checkedAt", "verifiedAt"];

/** The organization's stored record (one Clerk call), or null when nothing is connected. */
async function readStoredRecord(store: OrganizationStore, orgId: string): Promise<StoredRecord | null> {
	const metadata = await fromClerk(() => store.readPrivateMetadata(orgId));
	const stored = metadata[METADATA_KEY];
	if (stored === undefined || stored === null) return null;
	if (typeof stored === "object" && Object.keys(stored).every((field) => HEALTH_FIELDS.includes(field))) {
		return null;
	}

	const parsed = storedRecordSchema.safeParse(stored);
	if (!parsed.success) throw new UnreadableRecordError();
	return parsed.data;
}

function assertCloseAccepts(check: CloseKeyCheck): void {
	if (check.outcome === "rejected") {
		throw new ApiError("VALIDATION_ERROR", CLOSE_REJECTED_KEY, {
			details: [{ path: "apiKey", message: CLOSE_REJECTED_KEY }],
		});
	}
	if (check.outcome === "unreachable") throw closeUnreachable(CLOSE_UNREACHABLE, check.failure);
}

/** Close did not answer the check in time (after retries): 503, try again in half a minute. */
function closeUnreachable(message: string, failure: unknown): ApiError {
	return new ApiError("UPSTREAM_UNAVAILABLE", message, {
		headers: { "Retry-After": CLOSE_RETRY_AFTER_SECONDS },
		cause: failure,
	});
}

/** A Clerk call whose failures the caller can act on become the answers that say how. */
async function fromClerk<T>(call: () => Promise<T>): Promise<T> {
	try {
		return await call();
	} catch (error) {
		// Too large cannot succeed on retry: the admin must hear why (400), not 500.
		if (error instanceof MetadataLimitError) {
			throw new ApiError("VALIDATION_ERROR", METADATA_FULL, { cause: error });
		}
		if (error instanceof OrganizationNotFoundError) {
			throw new ApiError("NOT_FOUND", ORGANIZATION_NOT_IN_CLERK, { cause: error });
		}
		if (error instanceof UpstreamError && error.transient) {
			throw new ApiError("UPSTREAM_UNAVAILABLE", CLERK_UNAVAILABLE, {
				headers: { "Retry-After": String(clerkRetryAfterSeconds(error.retryAfterMs)) },
				cause: error,
			});
		}
		throw error;
	}
}

function clerkRetryAfterSeconds(retryAfterMs: number | undefined): number {
	if (retryAfterMs === undefined) return CLERK_RETRY_AFTER.defaultSeconds;
	return Math.min(CLERK_RETRY_AFTER.maxSeconds, Math.max(1, Math.ceil(retryAfterMs / 1000)));
}

function toSettingsResponse(record: StoredRecord): SettingsResponse {
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

/** Clerk deep-merges metadata, so a field left out would survive from an earlier record: null it. */
function withEveryField(record: StoredRecord): Record<string, unknown> {
	return Object.fromEntries(STORED_RECORD_FIELDS.map((field) => [field, record[field] ?? null]));
}
