/**
 * The organization's owner: one Durable Object per organization that runs everything this service does
 * to the organization's CRM record, one operation at a time — the read behind GET, save, disconnect,
 * the re-check's outcome, `reportRejected`, `getCredential`, and key rotation's re-seal. It keeps the
 * record (sealed key included) in memory while it is fresh, remembers Clerk's failures so that a flood
 * costs at most one Clerk read per backoff window, counts the write limit exactly, and never sends a
 * write while an earlier attempt may still land. It answers with plain data (./outcome.ts).
 *
 * Why a Durable Object: it is one object per organization for the whole network, so operations on one
 * organization meet in one place wherever they come from; the Cache API is per location, KV eventually
 * consistent. The Worker passes its configuration and clock in each call, so that the Worker's
 * configuration stays the one source of truth and the tests control time.
 */
import { DurableObject } from "cloudflare:workers";
import { CLERK_RETRY_POLICY, clerkOrganizationStore } from "../clerk/organization-store.ts";
import { checkCloseApiKey } from "../close/close-client.ts";
import { type KeyRing, parseKeyRing } from "../crypto/key-ring.ts";
import { InternalFailure, upstreamFailure } from "../errors/failure.ts";
import {
	BULLHORN_CLIENT_REFUSED,
	BULLHORN_NO_CLIENT,
	BULLHORN_RECONNECT,
	BULLHORN_SIGN_IN_REFUSED,
	CLOSE_REJECTED_KEY,
	CLOSE_UNREACHABLE,
	CLOSE_UNREACHABLE_ON_CHECK,
	NOTHING_TO_CHECK,
	TOO_MANY_WRITES,
} from "../errors/messages.ts";
import { type BrokerCall, BullhornBroker } from "./bullhorn-broker.ts";
import { EventLog, type HistoryPage } from "./event-log.ts";
import type { CrmEvent, EventActor, EventConnection } from "./events.ts";
import {
	CLERK_RETRY_AFTER,
	type FailureData,
	failed,
	failureOf,
	type Outcome,
	refused,
	succeeded,
} from "./outcome.ts";
import {
	connectionOf,
	connectionOfSettings,
	type Health,
	healthAfterCheck,
	healthOf,
	METADATA_KEY,
	needsSealing,
	newApiKeyRecord,
	openSecret,
	readRecord,
	recordPatch,
	resealed,
	type Sealing,
	sameConnection,
	sealingOf,
	settingsOf,
} from "./record.ts";
import {
	BULLHORN_UNCHECKABLE,
	type BullhornLoginForm,
	type BullhornLoginRecord,
	type ConnectionStatus,
	type DisconnectResponse,
	isBullhornLogin,
	type Provider,
	type SaveSettingsRequest,
	type SaveSettingsResponse,
	type SettingsResponse,
	type StoredRecord,
} from "./schemas.ts";
import { admitWrite } from "./write-limit.ts";

/** What the owner needs of the Worker's configuration; sent with every call. */
export interface OwnerSettings {
	clerkApiUrl: string;
	clerkSecretKey: string;
	closeApiUrl: string;
	/** `CRM_ENCRYPTION_KEYS` as set (already validated by the Worker); undefined stores plaintext. */
	encryptionKeys: string | undefined;
	/** How long a record read from Clerk answers without asking Clerk again. */
	cacheTtlMs: number;
	/** How long after it was read a copy may still answer a GET while Clerk is failing. */
	staleIfErrorMs: number;
	/** Where connecting a Bullhorn API user starts (BULLHORN_LOGIN_INFO_URL). */
	bullhornLoginInfoUrl: string;
	/** The platform's Bullhorn API key (BULLHORN_CLIENT_ID, BULLHORN_CLIENT_SECRET), or null. */
	bullhornClient: { id: string; secret: string } | null;
}

export interface OwnerCall extends OwnerSettings {
	orgId: string;
	/** The Worker's clock at the call. */
	now: number;
	/** Who asks: an admin's session, or a platform Worker's RPC method (the events say who changed what). */
	by: EventActor;
}

interface CredentialHealth {
	/** Names this connection: pass it back to `reportRejected`. */
	connectedAt: string;
	/** `verified` or `rejected` as of the last check with the CRM (`checkedAt`); `unverified` if never checked. */
	status: ConnectionStatus;
	checkedAt: string | null;
}

/**
 * An organization's connected CRM, for the caller to use and not keep: an API key in plaintext, or for a
 * Bullhorn connection by API user, a live REST session (never its refresh token, password or secret).
 */
export type CrmCredential =
	| (CredentialHealth & {
			provider: Provider;
			apiKey: string;
			/** The shareable id of a Close key `api_<id>.<secret>`; null for other keys. */
			apiKeyId: string | null;
	  })
	| (CredentialHealth & {
			provider: "bullhorn";
			apiUser: string;
			/** The corporation's REST URL (ends in `/`); send `BhRestToken` with every call under it. */
			restUrl: string;
			bhRestToken: string;
			/** When the session ends (ISO 8601); ask again before then, the same session comes back until near its end. */
			expiresAt: string;
	  });

/** What re-sealing one record came to; only instance-wide failures are failures (they end the run). */
export type ResealResult = {
	outcome: "resealed" | "current" | "gone" | "unopenable" | "unreadable" | "refused";
	/** What seals the record now. */
	sealing: Sealing;
};

/** How long a failure other than Clerk's throttling is remembered: Clerk's rate-limit window. */
const DEFAULT_BACKOFF_MS = CLERK_RETRY_AFTER.defaultSeconds * 1000;
/** The longest wait a `Retry-After` of Clerk's can impose (a longer one is Clerk's mistake, or an attack). */
const LONGEST_BACKOFF_MS = CLERK_RETRY_AFTER.maxSeconds * 1000;
/** How long a caller should wait before asking again to check with a Close that could not be reached. */
const CLOSE_RETRY_AFTER_SECONDS = 30;
/** How soon the alarm tries again to send events the queue did not take. */
const EVENT_RETRY_MS = 30_000;

/**
 * What the owner keeps in its storage, and only so that an eviction loses little: the last GET body
 * (named after its shape), which may then answer stale while Clerk fails but never as fresh, and the
 * times of the last minute's writes. Memory is what counts while the object lives, so these writes
 * need not hold the answer back until they are durable (`allowUnconfirmed`): an answer never waits on
 * the object's storage.
 */
const SETTINGS_KEY = "settings-v3";
const WRITES_KEY = "write-times";
const UNCONFIRMED = { allowUnconfirmed: true };

interface KeptSettings {
	body: SettingsResponse;
	readAt: number;
}

export class CrmRecordOwner extends DurableObject<Env> {
	/** The record as last read from Clerk or written, sealed key included: in memory only, never stored. */
	#record: { value: StoredRecord | null; readAt: number } | undefined;
	/** What GET shows, as of the last Clerk read or write; answers while younger than the TTL. */
	#settings: KeptSettings | undefined;
	/** The times of the writes admitted in the last minute, loaded from storage on first use. */
	#writeTimes: number[] | undefined;
	/** A Clerk failure and until when no new call is made for this organization. */
	#failure: { error: InternalFailure; until: number } | undefined;
	/** The end of the queue of operations: each runs after the one before has finished. */
	#turn: Promise<unknown> = Promise.resolve();
	/** The read of the record from Clerk under way or queued, which reads arriving meanwhile share. */
	#load: Promise<StoredRecord | null> | undefined;
	/** Write attempts that passed their timeout and may still land at Clerk. */
	readonly #abandoned = new Set<Promise<void>>();
	/** The organization's Bullhorn session and its refresh tokens. */
	readonly #bullhorn = new BullhornBroker(this.ctx.storage);
	/** The organization's events: the outbox to the CRM_EVENTS queue, and the audit history. */
	readonly #events = new EventLog(this.ctx.storage.sql);
	/** The delivery of the outbox under way. */
	#delivering: Promise<void> | undefined;

	/** GET: the settings while fresh; else one Clerk read, shared; while Clerk fails, a stale copy if one is young enough. */
	async read(call: OwnerCall): Promise<Outcome<SettingsResponse>> {
		const kept = this.#settings;
		if (kept && call.now - kept.readAt < call.cacheTtlMs) return succeeded(kept.body);
		try {
			return succeeded(settingsOf(await this.#sharedLoad(call)));
		} catch (error) {
			return this.#staleOr(error, call);
		}
	}

	/** POST: saves a new connection over whatever was there (for Close, checked with Close first when asked). */
	async save(
		call: OwnerCall,
		request: SaveSettingsRequest & { userId: string },
	): Promise<Outcome<SaveSettingsResponse>> {
		try {
			const limited = this.#admitWrite(call.now);
			if (limited) return limited;
			if (!("apiKey" in request)) return await this.#connectBullhorn(call, request);
			const keyRing = keyRingOf(call);
			// The schema refuses verify for Bullhorn, so a verify reaching here is for Close.
			const verified = request.verify === true;
			if (verified) {
				const check = await checkCloseApiKey(call.closeApiUrl, request.apiKey);
				if (check.outcome === "rejected") {
					return refused("VALIDATION_ERROR", CLOSE_REJECTED_KEY, {
						details: [{ path: "apiKey", message: CLOSE_REJECTED_KEY }],
					});
				}
				if (check.outcome === "unreachable") return closeUnreachable(CLOSE_UNREACHABLE, check.failure);
			}
			const connectedAt = new Date(call.now).toISOString();
			const connection = { ...request, connectedBy: request.userId, connectedAt, verified };
			const record = await newApiKeyRecord(call.orgId, connection, keyRing);
			await this.#exclusive(async () => {
				const previous = this.#knownConnection();
				await this.#write(call, record);
				this.#bullhorn.adopt(undefined);
				this.#emitSaved(call, record, previous);
			});
			return succeeded({
				success: true,
				provider: record.provider,
				connectedAt,
				...(verified ? { verified: true as const } : {}),
			});
		} catch (error) {
			return failed(this.#failureData(error, call.now));
		}
	}

	async disconnect(call: OwnerCall): Promise<Outcome<DisconnectResponse>> {
		try {
			const limited = this.#admitWrite(call.now);
			if (limited) return limited;
			await this.#exclusive(async () => {
				const previous = this.#knownConnection();
				await this.#write(call, null);
				this.#bullhorn.adopt(undefined);
				if (previous) this.#emit(call, { type: "disconnected", connection: previous });
			});
			return succeeded({ success: true, disconnected: true });
		} catch (error) {
			return failed(this.#failureData(error, call.now));
		}
	}

	/**
	 * Checks the stored key with the CRM again (Close: `GET /api/v1/me/` with the key) and records the
	 * outcome: `verified` or `rejected`, and when. Close is asked outside the queue (it takes up to 3 s);
	 * the outcome is written inside it, and only onto the connection that was checked: after a disconnect
	 * meanwhile the answer is 404, after a new save the new connection as GET shows it.
	 */
	async recheck(call: OwnerCall): Promise<Outcome<SettingsResponse>> {
		try {
			const limited = this.#admitWrite(call.now);
			if (limited) return limited;
			const keyRing = keyRingOf(call);
			const checked = await this.#exclusive(() => this.#current(call));
			if (!checked) return refused("NOT_FOUND", NOTHING_TO_CHECK);
			if (isBullhornLogin(checked)) return await this.#exclusive(() => this.#checkBullhorn(call));
			if (checked.provider !== "close") return refused("VALIDATION_ERROR", BULLHORN_UNCHECKABLE);
			const check = await checkCloseApiKey(
				call.closeApiUrl,
				await openSecret(checked.apiKey, call.orgId, keyRing),
			);
			if (check.outcome === "unreachable") return closeUnreachable(CLOSE_UNREACHABLE_ON_CHECK, check.failure);
			return await this.#exclusive(async () => {
				const current = await this.#current(call);
				if (!current) return refused<SettingsResponse>("NOT_FOUND", NOTHING_TO_CHECK);
				if (!sameConnection(current, checked)) return succeeded(settingsOf(current));
				const health = healthAfterCheck(check.outcome === "accepted", new Date(call.now).toISOString());
				return succeeded(settingsOf(await this.#recordHealth(call, current, health)));
			});
		} catch (error) {
			return failed(this.#failureData(error, call.now));
		}
	}

	/**
	 * A service calling the CRM with the key was refused (401/403): marks the connection `rejected`. True
	 * when the connection named by `connectedAt` is now marked rejected; false when another replaced it or
	 * none is connected. Writes (and counts against the write limit) only on a change of status.
	 */
	async reportRejected(call: OwnerCall, connectedAt: string): Promise<Outcome<boolean>> {
		try {
			return await this.#exclusive(async () => {
				const current = await this.#current(call);
				if (!current || current.connectedAt !== connectedAt) return succeeded(false);
				if (isBullhornLogin(current)) return this.#bullhornSessionRefused(call, current);
				if (healthOf(current).status === "rejected") return succeeded(true);
				return this.#markRejected(call, current);
			});
		} catch (error) {
			return failed(this.#failureData(error, call.now));
		}
	}

	/** The connected credential, opened inside this Worker, or null when none is connected. */
	async credential(call: OwnerCall): Promise<Outcome<CrmCredential | null>> {
		try {
			const fresh = this.#record && call.now - this.#record.readAt < call.cacheTtlMs;
			const record = fresh ? (this.#record?.value ?? null) : await this.#sharedLoad(call);
			if (record && isBullhornLogin(record))
				return await this.#exclusive(() => this.#bullhornCredential(call));
			return succeeded(await keyCredential(record, call.orgId, keyRingOf(call)));
		} catch (error) {
			return failed(this.#failureData(error, call.now));
		}
	}

	/**
	 * Key rotation: re-seals the record under the ring's current key when an older one (or, with
	 * `sealPlaintext`, none) seals it. Reads Clerk first (the job's page may be old). A problem of this
	 * record alone is a result the job counts and passes over; only a failure of Clerk itself fails.
	 */
	async reseal(call: OwnerCall, sealPlaintext: boolean): Promise<Outcome<ResealResult>> {
		try {
			const keyRing = keyRingOf(call);
			if (!keyRing) throw new InternalFailure("configuration", "CRM_ENCRYPTION_KEYS is not set");
			return await this.#exclusive(async () => {
				let record: StoredRecord | null;
				try {
					record = await this.#current({ ...call, cacheTtlMs: 0 });
				} catch (error) {
					const kind = error instanceof InternalFailure ? error.kind : undefined;
					if (kind === "not-found") return succeeded<ResealResult>({ outcome: "gone", sealing: null });
					if (kind === "unreadable-record")
						return succeeded<ResealResult>({ outcome: "unreadable", sealing: "unreadable" });
					throw error;
				}
				const sealing = sealingOf(record);
				if (!record || !needsSealing(record, keyRing, sealPlaintext))
					return succeeded({ outcome: "current", sealing });
				let next: StoredRecord;
				try {
					next = await resealed(record, call.orgId, keyRing);
				} catch (error) {
					if (error instanceof InternalFailure && error.kind === "key-does-not-open") {
						return succeeded<ResealResult>({ outcome: "unopenable", sealing });
					}
					throw error;
				}
				try {
					await this.#write(call, next);
				} catch (error) {
					if (error instanceof InternalFailure && error.kind === "too-large") {
						return succeeded<ResealResult>({ outcome: "refused", sealing });
					}
					throw error;
				}
				return succeeded<ResealResult>({ outcome: "resealed", sealing: sealingOf(next) });
			});
		} catch (error) {
			return failed(this.#failureData(error, call.now));
		}
	}

	// ---- Bullhorn connections by API user --------------------------------------------------------------

	/** POST for a Bullhorn API user: the login first (outside the queue), then the record, in it. */
	async #connectBullhorn(
		call: OwnerCall,
		form: BullhornLoginForm & { userId: string },
	): Promise<Outcome<SaveSettingsResponse>> {
		const ownClient = form.clientId !== undefined;
		if (!ownClient && !call.bullhornClient) return refused("VALIDATION_ERROR", BULLHORN_NO_CLIENT);
		let login: Awaited<ReturnType<BullhornBroker["connect"]>>;
		try {
			login = await this.#bullhorn.connect(this.#brokerCall(call), form, form.userId);
		} catch (error) {
			return failed(connectFailure(error, ownClient));
		}
		await this.#exclusive(async () => {
			const previous = this.#knownConnection();
			await this.#write(call, login.record);
			this.#bullhorn.adopt(login.session);
			this.#emitSaved(call, login.record, previous);
		});
		return succeeded({
			success: true,
			provider: "bullhorn",
			connectedAt: login.record.connectedAt,
			verified: true,
		});
	}

	/** getCredential for a Bullhorn API user: the session held, or a new one (inside the queue). */
	async #bullhornCredential(call: OwnerCall): Promise<Outcome<CrmCredential | null>> {
		const record = await this.#current(call);
		// Replaced or disconnected meanwhile: answered from this read (credential() would queue a read behind
		// this operation and wait for it: a deadlock).
		if (!record || !isBullhornLogin(record))
			return succeeded(await keyCredential(record, call.orgId, keyRingOf(call)));
		try {
			const session = await this.#bullhorn.session(this.#brokerCall(call), record);
			return succeeded(bullhornCredential(record, session));
		} catch (error) {
			if (!isGrantRefused(error)) return failed(this.#failureData(error, call.now));
			const marked = await this.#rejectedOnce(call, record, true);
			if (!marked.ok) return marked;
			return failed({
				answer: { code: "VALIDATION_ERROR", message: BULLHORN_RECONNECT },
				log: error.logFields(),
			});
		}
	}

	/** reportRejected for a Bullhorn API user: one new login; `true` only when Bullhorn refuses it. */
	async #bullhornSessionRefused(call: OwnerCall, record: BullhornLoginRecord): Promise<Outcome<boolean>> {
		try {
			await this.#bullhorn.sessionRefused(this.#brokerCall(call), record);
			return succeeded(false);
		} catch (error) {
			if (!isGrantRefused(error)) return failed(this.#failureData(error, call.now));
			return this.#rejectedOnce(call, record, true);
		}
	}

	/** The re-check for a Bullhorn API user: a new session and `ping`; the outcome written onto it. */
	async #checkBullhorn(call: OwnerCall): Promise<Outcome<SettingsResponse>> {
		const record = await this.#current(call);
		if (!record) return refused("NOT_FOUND", NOTHING_TO_CHECK);
		if (!isBullhornLogin(record)) return succeeded(settingsOf(record));
		let accepted = true;
		try {
			await this.#bullhorn.check(this.#brokerCall(call), record);
		} catch (error) {
			const kind = error instanceof InternalFailure ? error.kind : undefined;
			if (kind !== "grant-refused" && kind !== "session-refused")
				return failed(this.#failureData(error, call.now));
			accepted = false;
		}
		// The login may have stored the next refresh token: the record is read again (from the owner's copy).
		const current = (await this.#current(call)) ?? record;
		const health = healthAfterCheck(accepted, new Date(call.now).toISOString());
		return succeeded(settingsOf(await this.#recordHealth(call, current, health)));
	}

	/** Marks the connection `rejected` unless it is already: Bullhorn refused its refresh token. */
	async #rejectedOnce(
		call: OwnerCall,
		record: BullhornLoginRecord,
		reconnectNeeded: boolean,
	): Promise<Outcome<boolean>> {
		return healthOf(record).status === "rejected"
			? succeeded(true)
			: this.#markRejected(call, record, reconnectNeeded);
	}

	/** Writes `rejected` onto the connection (counted against the write limit). */
	async #markRejected(
		call: OwnerCall,
		record: StoredRecord,
		reconnectNeeded = false,
	): Promise<Outcome<boolean>> {
		const limited = this.#admitWrite(call.now);
		if (limited) return limited;
		await this.#recordHealth(
			call,
			record,
			healthAfterCheck(false, new Date(call.now).toISOString()),
			reconnectNeeded,
		);
		return succeeded(true);
	}

	/**
	 * Writes a check's outcome onto the connection — only these fields: the rest of the record (the key
	 * above all) stays as Clerk holds it — and tells of a change of status.
	 */
	async #recordHealth(call: OwnerCall, current: StoredRecord, health: Health, reconnectNeeded = false) {
		const next = { ...current, ...health };
		// A Bullhorn connection's refresh token goes along: the newest may be waiting in the owner's storage
		// for Clerk (every read prefers it), and a write without it would leave Clerk with a spent one.
		const fields = isBullhornLogin(next) ? { ...health, refreshToken: next.refreshToken } : health;
		await this.#write(call, next, { [METADATA_KEY]: fields });
		const from = healthOf(current).status;
		if (from !== health.status) {
			this.#emit(call, {
				type: "health_changed",
				connection: connectionOf(next),
				health: { from, to: health.status, ...(reconnectNeeded ? { reconnectNeeded: true as const } : {}) },
			});
		}
		return next;
	}

	#brokerCall(call: OwnerCall): BrokerCall {
		return {
			orgId: call.orgId,
			now: call.now,
			keyRing: keyRingOf(call),
			loginInfoUrl: call.bullhornLoginInfoUrl,
			platformClient: call.bullhornClient,
			write: (next, patch) => this.#write(call, next, patch),
		};
	}

	// ---- events --------------------------------------------------------------------------------------

	/** The audit history: the organization's events, newest first. */
	async history(
		call: OwnerCall,
		page: { limit: number; before: number | null },
	): Promise<Outcome<HistoryPage>> {
		void call;
		return succeeded(this.#events.page(page.limit, page.before));
	}

	/** The alarm set while events wait for the queue: delivers them. */
	override async alarm(): Promise<void> {
		await this.#deliver();
	}

	/** A save: `connected`, or `replaced` when the owner knew of a connection before. */
	#emitSaved(call: OwnerCall, record: StoredRecord, previous: EventConnection | null): void {
		const connection = connectionOf(record);
		this.#emit(
			call,
			previous ? { type: "replaced", connection, previous } : { type: "connected", connection },
		);
	}

	/**
	 * Records the event of an acknowledged change, in the same step (the owner's answer waits for the row
	 * to be durable), then sends it; an alarm sends it later if this attempt fails or the object is gone.
	 */
	#emit(call: OwnerCall, event: Pick<CrmEvent, "type" | "connection" | "previous" | "health">): void {
		this.#events.record(
			{
				...event,
				orgId: call.orgId,
				provider: event.connection.provider,
				at: new Date(call.now).toISOString(),
				by: call.by,
			},
			call.now,
		);
		void this.ctx.storage.setAlarm(Date.now() + EVENT_RETRY_MS);
		void this.#deliver();
	}

	/**
	 * Sends what the queue has not taken yet, in order, one at a time; on a failure, the alarm tries again.
	 * An event recorded meanwhile joins this delivery (its #emit gets this promise): the outbox is read
	 * again until it is empty, and only then is the alarm removed.
	 */
	#deliver(): Promise<void> {
		this.#delivering ??= (async () => {
			try {
				for (let unsent = this.#events.unsent(); unsent.length > 0; unsent = this.#events.unsent()) {
					for (const event of unsent) {
						await this.env.CRM_EVENTS.send(event, { contentType: "json" });
						this.#events.markSent(event.seq);
					}
				}
				await this.ctx.storage.deleteAlarm();
			} catch {
				await this.ctx.storage.setAlarm(Date.now() + EVENT_RETRY_MS);
			} finally {
				this.#delivering = undefined;
			}
		})();
		return this.#delivering;
	}

	/** What the owner knows of the connection before a write: its copy of the record, or what GET showed. */
	#knownConnection(): EventConnection | null {
		if (this.#record) return this.#record.value ? connectionOf(this.#record.value) : null;
		const settings = this.#lastSettings();
		return settings ? connectionOfSettings(settings.body) : null;
	}

	// ---- the queue ------------------------------------------------------------------------------------

	/** Runs `work` after every operation queued before it has finished; the next waits for this one. */
	#exclusive<T>(work: () => Promise<T>): Promise<T> {
		const run = this.#turn.then(work);
		this.#turn = run.then(
			() => undefined,
			() => undefined,
		);
		return run;
	}

	/**
	 * The record for reads that arrive while one is under way or queued: they share it. Safe, since no
	 * write can be acknowledged between a shared read's start and its end (the write waits in the queue).
	 */
	#sharedLoad(call: OwnerCall): Promise<StoredRecord | null> {
		this.#load ??= this.#exclusive(async () => {
			try {
				return await this.#current(call);
			} finally {
				this.#load = undefined;
			}
		});
		return this.#load;
	}

	// ---- inside the queue -----------------------------------------------------------------------------

	/** The record now: the copy while fresh, else one Clerk read (none while a failure is remembered). */
	async #current(call: OwnerCall): Promise<StoredRecord | null> {
		const copy = this.#record;
		if (copy && call.now - copy.readAt < call.cacheTtlMs) return copy.value;
		const held = this.#heldFailure(call.now);
		if (held) throw held;
		let metadata: Record<string, unknown>;
		try {
			metadata = await this.#clerk(call).readPrivateMetadata(call.orgId);
		} catch (error) {
			this.#remember(error, call.now);
			throw error;
		}
		const read = readRecord(metadata[METADATA_KEY]);
		const record =
			read !== null && read !== "unreadable" && isBullhornLogin(read)
				? this.#bullhorn.preferPending(read)
				: read;
		if (record === "unreadable") {
			const failure = new InternalFailure(
				"unreadable-record",
				"private_metadata.crm is not a CRM settings record",
			);
			this.#remember(failure, call.now);
			throw failure;
		}
		this.#keep(record, call.now);
		return record;
	}

	/**
	 * Writes `next` (or removes the record, for null) with one Clerk call — `patch` when only some fields
	 * change — and keeps it once Clerk has acknowledged it. Sends nothing while Clerk asked for a pause, or
	 * while an earlier attempt may still land (it would undo this write): those answer 503.
	 */
	async #write(call: OwnerCall, next: StoredRecord | null, patch = recordPatch(next)): Promise<void> {
		const held = this.#heldFailure(call.now);
		if (held?.kind === "unavailable") throw held;
		await this.#settleAbandoned();
		try {
			await this.#clerk(call).mergePrivateMetadata(call.orgId, patch);
		} catch (error) {
			if (error instanceof InternalFailure && error.kind === "unavailable") {
				// Clerk may still apply it: the copy may be wrong, so the next read asks Clerk.
				this.#forget();
				this.#remember(error, call.now);
			}
			throw error;
		}
		this.#failure = undefined;
		this.#keep(next, call.now);
		if (next && isBullhornLogin(next)) this.#bullhorn.written(next);
	}

	/** Waits for write attempts that may still land, within one Clerk call's budget; past it, 503. */
	async #settleAbandoned(): Promise<void> {
		if (this.#abandoned.size === 0) return;
		const allSettled = Promise.all(this.#abandoned).then(() => true);
		const budget = new Promise<false>((resolve) => {
			const timer = setTimeout(() => resolve(false), CLERK_RETRY_POLICY.totalBudgetMs);
			void allSettled.then(() => clearTimeout(timer));
		});
		const settled = await Promise.race([allSettled, budget]);
		if (!settled) {
			throw upstreamFailure("unavailable", "clerk", "an earlier write attempt has not been answered yet", {
				attempts: 0,
			});
		}
	}

	#clerk(call: OwnerCall) {
		return clerkOrganizationStore(call, {
			abandoned: (settled) => {
				this.#abandoned.add(settled);
				void settled.then(() => this.#abandoned.delete(settled));
			},
		});
	}

	// ---- what the owner keeps ---------------------------------------------------------------------------

	#keep(record: StoredRecord | null, now: number): void {
		this.#record = { value: record, readAt: now };
		this.#settings = { body: settingsOf(record), readAt: now };
		void this.ctx.storage.put(SETTINGS_KEY, this.#settings, UNCONFIRMED);
	}

	#forget(): void {
		this.#record = undefined;
		this.#settings = undefined;
		void this.ctx.storage.delete(SETTINGS_KEY, UNCONFIRMED);
	}

	/** The last settings for a stale answer: in memory, or after an eviction, as storage kept them. */
	#lastSettings(): KeptSettings | undefined {
		return this.#settings ?? this.ctx.storage.kv.get<KeptSettings>(SETTINGS_KEY);
	}

	/** Clerk throttling or failing (past its retries), an unknown organization, an unreadable record. */
	#remember(error: unknown, now: number): void {
		if (!(error instanceof InternalFailure) || (error.upstream && error.upstream.service !== "clerk")) return;
		if (error.kind === "unavailable") {
			const waitMs = Math.min(LONGEST_BACKOFF_MS, error.upstream?.retryAfterMs ?? DEFAULT_BACKOFF_MS);
			this.#failure = { error, until: now + waitMs };
		} else if (error.kind === "not-found" || error.kind === "unreadable-record") {
			this.#failure = { error, until: now + DEFAULT_BACKOFF_MS };
		}
	}

	#heldFailure(now: number): InternalFailure | undefined {
		if (this.#failure && now < this.#failure.until) return this.#failure.error;
		this.#failure = undefined;
		return undefined;
	}

	/** The failure as data; a remembered one says how long until the owner asks Clerk again. */
	#failureData(error: unknown, now: number) {
		const held = this.#failure;
		const retryAfterSeconds =
			held && held.error === error ? Math.max(1, Math.ceil((held.until - now) / 1000)) : undefined;
		return failureOf(error, retryAfterSeconds);
	}

	/** While Clerk is unavailable, the last settings if young enough (the log says so); else the failure. */
	#staleOr(error: unknown, call: OwnerCall): Outcome<SettingsResponse> {
		const failure = this.#failureData(error, call.now);
		const kept = this.#lastSettings();
		const ageMs = kept ? call.now - kept.readAt : Number.POSITIVE_INFINITY;
		if (failure.answer?.code !== "UPSTREAM_UNAVAILABLE" || !kept || ageMs >= call.staleIfErrorMs) {
			return failed(failure);
		}
		const warning = {
			msg: "served stale settings",
			ageSeconds: Math.floor(ageMs / 1000),
			cause: failure.log,
		};
		return succeeded(kept.body, [warning]);
	}

	/** Counts a write against the organization's limit; the refusal when it is spent. */
	#admitWrite(now: number): Outcome<never> | undefined {
		this.#writeTimes ??= this.ctx.storage.kv.get<number[]>(WRITES_KEY) ?? [];
		const admission = admitWrite(this.#writeTimes, now);
		if (!admission.admitted) {
			return refused("RATE_LIMITED", TOO_MANY_WRITES, { retryAfterSeconds: admission.retryAfterSeconds });
		}
		this.#writeTimes = admission.times;
		void this.ctx.storage.put(WRITES_KEY, admission.times, UNCONFIRMED);
		return undefined;
	}
}

/** Close could not be reached (after retries): 503, try again in half a minute. */
function closeUnreachable<T>(message: string, failure: InternalFailure): Outcome<T> {
	return failed({
		answer: { code: "UPSTREAM_UNAVAILABLE", message, retryAfterSeconds: CLOSE_RETRY_AFTER_SECONDS },
		log: failure.logFields(),
	});
}

const isGrantRefused = (error: unknown): error is InternalFailure =>
	error instanceof InternalFailure && error.kind === "grant-refused";

/** What refusing a Bullhorn connection request tells the admin, or the log. */
function connectFailure(error: unknown, ownClient: boolean): FailureData {
	const kind = error instanceof InternalFailure ? error.kind : undefined;
	if (kind === "sign-in-refused")
		return { answer: { code: "VALIDATION_ERROR", message: BULLHORN_SIGN_IN_REFUSED } };
	if (kind === "client-refused" && ownClient) {
		return { answer: { code: "VALIDATION_ERROR", message: BULLHORN_CLIENT_REFUSED } };
	}
	if (kind === "client-refused") {
		const problem =
			"Bullhorn refused the platform's client: check BULLHORN_CLIENT_ID and BULLHORN_CLIENT_SECRET";
		return { log: new InternalFailure("configuration", problem).logFields() };
	}
	return failureOf(error);
}

function bullhornCredential(
	record: BullhornLoginRecord,
	session: { restUrl: string; bhRestToken: string; expiresAt: number },
): CrmCredential {
	return {
		provider: "bullhorn",
		apiUser: record.apiUser,
		restUrl: session.restUrl,
		bhRestToken: session.bhRestToken,
		expiresAt: new Date(session.expiresAt).toISOString(),
		connectedAt: record.connectedAt,
		...healthOf(record),
	};
}

let lastRing: { text: string | undefined; ring: KeyRing | null } | undefined;

/** The key ring of the call, parsed once per value (importing its keys is the slow part of a seal). */
function keyRingOf(call: OwnerCall): KeyRing | null {
	if (!lastRing || lastRing.text !== call.encryptionKeys) {
		lastRing = { text: call.encryptionKeys, ring: parseKeyRing(call.encryptionKeys) };
	}
	return lastRing.ring;
}

/** getCredential's answer for an API-key connection (opened inside this Worker), or null for none. */
async function keyCredential(
	record: StoredRecord | null,
	orgId: string,
	keyRing: KeyRing | null,
): Promise<CrmCredential | null> {
	if (!record || isBullhornLogin(record)) return null;
	return {
		provider: record.provider,
		apiKey: await openSecret(record.apiKey, orgId, keyRing),
		apiKeyId: record.apiKeyId ?? null,
		connectedAt: record.connectedAt,
		...healthOf(record),
	};
}
