/**
 * The organization's Bullhorn session, kept by its owner (./owner.ts) and handed to every caller while it
 * is valid — one REST session per organization instead of one per Worker (Bullhorn allows a customer 50
 * at once). It is made by logging in with the stored refresh token, which works once: every refresh
 * returns the next one, and that one is stored, sealed, before the session is handed out — in Clerk, or
 * when Clerk cannot take it at that moment, in the owner's own storage until Clerk can (reads prefer it).
 * Losing it would force the admin to reconnect. The owner calls in here from inside its queue, so a
 * refresh happens in one place at a time.
 */
import {
	BULLHORN_SESSION_TTL_MINUTES,
	type BullhornClient,
	type BullhornClientKey,
	type BullhornSession,
	bullhornClient,
} from "../bullhorn/client.ts";
import type { KeyRing } from "../crypto/key-ring.ts";
import { InternalFailure } from "../errors/failure.ts";
import { METADATA_KEY, newBullhornRecord, openSecret, sealSecret } from "./record.ts";
import type { BullhornLoginForm, BullhornLoginRecord } from "./schemas.ts";

/** A session is renewed when it has less than this left, so that no caller gets one about to end. */
const RENEW_BEFORE_END_MS = 5 * 60_000;
/**
 * A report that the session was refused, arriving this soon after it was made, is about the session
 * before it: other Workers reporting the same refusal must not make a login each.
 */
const FRESH_SESSION_MS = 10_000;
/** Where a refresh token Clerk could not take yet waits (sealed), with the connection it belongs to. */
const PENDING_KEY = "bullhorn-refresh-token";

interface PendingRefreshToken {
	connectedAt: string;
	refreshToken: BullhornLoginRecord["refreshToken"];
}

export interface HeldSession extends BullhornSession {
	/** The connection it belongs to. */
	connectedAt: string;
	/** When Bullhorn ends it (the login's ttl), and when it was made, in ms since the epoch. */
	expiresAt: number;
	madeAt: number;
}

/** What the broker needs of the owner and of the call. */
export interface BrokerCall {
	orgId: string;
	now: number;
	keyRing: KeyRing | null;
	loginInfoUrl: string;
	/** The platform's Bullhorn API key, or null when it has none. */
	platformClient: BullhornClientKey | null;
	/** Writes the record (or the fields of `patch`) to Clerk through the owner. */
	write(next: BullhornLoginRecord, patch: Record<string, unknown>): Promise<void>;
}

export class BullhornBroker {
	readonly #storage: DurableObjectStorage;
	#session: HeldSession | undefined;

	constructor(storage: DurableObjectStorage) {
		this.#storage = storage;
	}

	/**
	 * Connecting: logs the API user in (loginInfo, authorize, token, REST login) and makes the record to
	 * store; the password is used here and nowhere else. The session it made is kept once `adopt` is told
	 * the record was stored.
	 */
	async connect(
		call: Omit<BrokerCall, "write">,
		form: BullhornLoginForm,
		connectedBy: string,
	): Promise<{ record: BullhornLoginRecord; session: HeldSession }> {
		const client = clientKeyOf(form, call.platformClient);
		const bullhorn = bullhornClient(call.loginInfoUrl);
		const endpoints = await bullhorn.loginInfo(form.username);
		const code = await bullhorn.authorize(endpoints, client, form.username, form.password);
		const tokens = await bullhorn.exchangeCode(endpoints, client, code);
		const session = await bullhorn.restLogin(endpoints, tokens.accessToken);
		const connectedAt = new Date(call.now).toISOString();
		const record = await newBullhornRecord(
			call.orgId,
			{
				apiUser: form.username,
				clientId: client.id,
				clientSecret: form.clientSecret ?? null,
				refreshToken: tokens.refreshToken,
				...endpoints,
				connectedBy,
				connectedAt,
			},
			call.keyRing,
		);
		return { record, session: held(session, connectedAt, call.now) };
	}

	/** After a save or a disconnect: the connection is another one now. */
	adopt(session: HeldSession | undefined): void {
		this.#session = session;
		void this.#storage.delete(PENDING_KEY);
	}

	/**
	 * After a write of the record to Clerk: a refresh token waiting for Clerk is there now. Every write of
	 * a Bullhorn record carries its refresh token, and every record the owner writes was read preferring
	 * the waiting one (sealed again by a rotation, perhaps: so the connection is compared, not the envelope).
	 */
	written(record: BullhornLoginRecord): void {
		const pending = this.#storage.kv.get<PendingRefreshToken>(PENDING_KEY);
		if (pending?.connectedAt === record.connectedAt) void this.#storage.delete(PENDING_KEY);
	}

	/** The record with the newest refresh token: the one waiting for Clerk, when there is one. */
	preferPending(record: BullhornLoginRecord): BullhornLoginRecord {
		const pending = this.#storage.kv.get<PendingRefreshToken>(PENDING_KEY);
		return pending?.connectedAt === record.connectedAt
			? { ...record, refreshToken: pending.refreshToken }
			: record;
	}

	/** The session to hand out: the one held while it has time left, else a new one. */
	async session(call: BrokerCall, record: BullhornLoginRecord): Promise<HeldSession> {
		const held = this.#session;
		if (held?.connectedAt === record.connectedAt && held.expiresAt - call.now > RENEW_BEFORE_END_MS)
			return held;
		return this.#logInAgain(call, record);
	}

	/**
	 * A caller's session was refused: drops it and logs in again, once — unless the session held was made
	 * just now (the report is about the one before). Throws `grant-refused` when the refresh token no
	 * longer works.
	 */
	async sessionRefused(call: BrokerCall, record: BullhornLoginRecord): Promise<HeldSession> {
		const held = this.#session;
		if (held?.connectedAt === record.connectedAt && call.now - held.madeAt < FRESH_SESSION_MS) return held;
		this.#session = undefined;
		return this.#logInAgain(call, record);
	}

	/**
	 * The re-check: `ping` with the session held (one is made when none is), and when Bullhorn refuses
	 * that session, once more with a new one. Throws what Bullhorn refused.
	 */
	async check(call: BrokerCall, record: BullhornLoginRecord): Promise<void> {
		const bullhorn = bullhornClient(call.loginInfoUrl);
		try {
			await bullhorn.ping(await this.session(call, record));
		} catch (error) {
			if (!(error instanceof InternalFailure && error.kind === "session-refused")) throw error;
			this.#session = undefined;
			await bullhorn.ping(await this.#logInAgain(call, record));
		}
	}

	async #logInAgain(call: BrokerCall, record: BullhornLoginRecord): Promise<HeldSession> {
		const current = this.preferPending(record);
		const bullhorn: BullhornClient = bullhornClient(call.loginInfoUrl);
		const client = await storedClientKey(current, call);
		const refreshToken = await openSecret(current.refreshToken, call.orgId, call.keyRing);
		const tokens = await bullhorn.refresh(current, client, refreshToken);
		await this.#keepRefreshToken(call, current, tokens.refreshToken);
		const session = held(await bullhorn.restLogin(current, tokens.accessToken), record.connectedAt, call.now);
		this.#session = session;
		return session;
	}

	/** Stores the next refresh token before anything else: in Clerk, or else here until Clerk can take it. */
	async #keepRefreshToken(
		call: BrokerCall,
		record: BullhornLoginRecord,
		refreshToken: string,
	): Promise<void> {
		const sealed = await sealSecret(refreshToken, call.orgId, call.keyRing);
		const pending: PendingRefreshToken = { connectedAt: record.connectedAt, refreshToken: sealed };
		// Durable before the session is handed out (no `allowUnconfirmed`): Bullhorn has spent the last one.
		await this.#storage.put(PENDING_KEY, pending);
		try {
			await call.write({ ...record, refreshToken: sealed }, { [METADATA_KEY]: { refreshToken: sealed } });
		} catch (error) {
			// Kept here: every read prefers it, and the next write of the record to Clerk carries it.
			if (error instanceof InternalFailure) return;
			throw error;
		}
	}
}

function held(session: BullhornSession, connectedAt: string, now: number): HeldSession {
	return { ...session, connectedAt, expiresAt: now + BULLHORN_SESSION_TTL_MINUTES * 60_000, madeAt: now };
}

/** The client a connection request signs in with: the organization's own, or the platform's. */
function clientKeyOf(form: BullhornLoginForm, platform: BullhornClientKey | null): BullhornClientKey {
	if (form.clientId !== undefined && form.clientSecret !== undefined) {
		return { id: form.clientId, secret: form.clientSecret };
	}
	if (!platform)
		throw new InternalFailure("configuration", "no Bullhorn client: BULLHORN_CLIENT_ID is not set");
	return platform;
}

/** The client a stored connection signs in with: its own secret, or the platform's key for its client id. */
async function storedClientKey(record: BullhornLoginRecord, call: BrokerCall): Promise<BullhornClientKey> {
	if (record.clientSecret) {
		return { id: record.clientId, secret: await openSecret(record.clientSecret, call.orgId, call.keyRing) };
	}
	if (call.platformClient?.id !== record.clientId) {
		throw new InternalFailure(
			"configuration",
			"the connection signed in with the platform's Bullhorn client, which BULLHORN_CLIENT_ID no longer names",
		);
	}
	return call.platformClient;
}
