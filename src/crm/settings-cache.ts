/**
 * Reads that spare Clerk's quota: one Durable Object per organization keeps the last GET body it read
 * from Clerk (never the key or its envelope) and answers reads from it while it is fresh.
 *
 * Why a Durable Object (README, "Reads and Clerk's limits"): it is one object per organization for the
 * whole network, so a write is seen by the next read wherever that read lands, concurrent misses for
 * one organization make a single Clerk call (a flood from one token costs at most one call per TTL),
 * and it works the same on workers.dev, custom domains, `wrangler dev` and the tests. The Cache API is
 * per location and does nothing on workers.dev; KV is eventually consistent for up to a minute.
 *
 * The object runs the read on the caller's behalf with the caller's configuration and clock (both come
 * in the call), so the Worker's configuration stays the one source of truth and tests control time.
 */
import { DurableObject } from "cloudflare:workers";
import { clerkOrganizationStore } from "../clerk/organization-store.ts";
import type { Config } from "../config/config.ts";
import {
	ApiError,
	type ErrorCode,
	type ErrorDetail,
	InternalFailure,
	safeLogFields,
} from "../errors/api-error.ts";
import type { SettingsResponse } from "./schemas.ts";
import { readSettingsFromClerk } from "./settings-service.ts";

/** What a read needs from the Worker: Clerk's address and secret, the cache's two windows, the time. */
export interface CacheReadOptions {
	clerkApiUrl: string;
	clerkSecretKey: string;
	/** How long a body read from Clerk answers reads without asking Clerk again. */
	ttlMs: number;
	/** How long after it was read a body may still answer when Clerk is throttling or failing. */
	staleIfErrorMs: number;
	now: number;
}

/** A failure that crossed the RPC boundary: what the client must hear, and what the log must say. */
interface SentFailure {
	answer?: { code: ErrorCode; message: string; headers: Record<string, string>; details?: ErrorDetail[] };
	logFields?: Record<string, unknown>;
}

export type CacheRead =
	| { source: "cache" | "clerk"; body: SettingsResponse }
	| { source: "stale"; body: SettingsResponse; ageSeconds: number; failure: Record<string, unknown> }
	| { source: "failed"; failure: SentFailure };

/**
 * Where the entry is kept in the object's storage. Named after the body's version: a body cached by a
 * deployment whose GET had fewer fields (before `status`) is not served after an upgrade.
 */
const ENTRY_KEY = "entry-v2";

interface Entry {
	body: SettingsResponse;
	readAt: number;
}

/**
 * One organization's cached settings. Named by the verified organization id alone
 * (`idFromName(orgId)`); the entry lives in memory and in the object's storage, so it outlives an
 * eviction for the stale-if-error window.
 */
export class SettingsCache extends DurableObject<Env> {
	#entry: Entry | undefined;
	#loading: Promise<SettingsResponse> | undefined;
	/** Bumped by every write, so that a Clerk read started before the write cannot overwrite its result. */
	#generation = 0;

	async read(orgId: string, options: CacheReadOptions): Promise<CacheRead> {
		const entry = this.#current();
		if (entry && options.now - entry.readAt < options.ttlMs) return { source: "cache", body: entry.body };
		try {
			return { source: "clerk", body: await this.#load(orgId, options) };
		} catch (error) {
			const failure = sendFailure(error);
			const ageMs = entry ? options.now - entry.readAt : Number.POSITIVE_INFINITY;
			if (failure.answer?.code === "UPSTREAM_UNAVAILABLE" && entry && ageMs < options.staleIfErrorMs) {
				const cause = failure.logFields ?? {};
				return { source: "stale", body: entry.body, ageSeconds: Math.floor(ageMs / 1000), failure: cause };
			}
			return { source: "failed", failure };
		}
	}

	/** After a successful write: what GET must answer from now on, as of `now`. */
	async remember(body: SettingsResponse, now: number): Promise<void> {
		this.#generation++;
		this.#store({ body, readAt: now });
	}

	/**
	 * After a write whose outcome is unknown (Clerk did not answer in time: it may still apply it): the
	 * copy may be wrong, so the next read asks Clerk.
	 */
	async forget(): Promise<void> {
		this.#generation++;
		this.#entry = undefined;
		this.ctx.storage.kv.delete(ENTRY_KEY);
	}

	#current(): Entry | undefined {
		this.#entry ??= this.ctx.storage.kv.get<Entry>(ENTRY_KEY);
		return this.#entry;
	}

	#store(entry: Entry): void {
		this.#entry = entry;
		this.ctx.storage.kv.put(ENTRY_KEY, entry);
	}

	/** One Clerk read at a time, shared by every read that arrives while it runs. */
	#load(orgId: string, options: CacheReadOptions): Promise<SettingsResponse> {
		if (!this.#loading) {
			const generation = this.#generation;
			const store = clerkOrganizationStore(options);
			this.#loading = readSettingsFromClerk(store, orgId)
				.then((body) => {
					if (generation === this.#generation) this.#store({ body, readAt: options.now });
					return body;
				})
				.finally(() => {
					this.#loading = undefined;
				});
		}
		return this.#loading;
	}
}

/**
 * The Worker's side of the cache: reads through the organization's object, logs a stale answer, and
 * turns a failure that crossed RPC back into the errors the handler knows.
 *
 * @example
 * const cache = settingsCache(env.SETTINGS_CACHE, config, (fields) => log("warn", fields));
 * const body = await cache.read("org_2abc");
 */
export function settingsCache(
	namespace: DurableObjectNamespace<SettingsCache>,
	config: Pick<Config, "clerkApiUrl" | "clerkSecretKey" | "cacheTtlMs" | "staleIfErrorMs">,
	warn: (fields: Record<string, unknown>) => void,
	now: () => number = Date.now,
) {
	const object = (orgId: string) => namespace.get(namespace.idFromName(orgId));
	return {
		async read(orgId: string): Promise<SettingsResponse> {
			// RPC's typing drops the union's branches whose fields are `unknown`; the value is a CacheRead.
			const read = (await object(orgId).read(orgId, {
				clerkApiUrl: config.clerkApiUrl,
				clerkSecretKey: config.clerkSecretKey,
				ttlMs: config.cacheTtlMs,
				staleIfErrorMs: config.staleIfErrorMs,
				now: now(),
			})) as CacheRead;
			if (read.source === "failed") throw receiveFailure(read.failure);
			if (read.source === "stale") {
				warn({ msg: "served stale settings", ageSeconds: read.ageSeconds, cause: read.failure });
			}
			return read.body;
		},

		async remember(orgId: string, body: SettingsResponse): Promise<void> {
			await object(orgId).remember(body, now());
		},

		async forget(orgId: string): Promise<void> {
			await object(orgId).forget();
		},
	};
}

export type SettingsCacheClient = ReturnType<typeof settingsCache>;

/** A failure on the object's side as plain data: errors keep only their message across RPC. */
function sendFailure(error: unknown): SentFailure {
	if (error instanceof ApiError) {
		const cause = error.cause instanceof InternalFailure ? error.cause.logFields() : undefined;
		return {
			answer: {
				code: error.code,
				message: error.message,
				headers: error.headers,
				...(error.details ? { details: error.details } : {}),
			},
			...(cause ? { logFields: cause } : {}),
		};
	}
	return { logFields: safeLogFields(error) };
}

/** A failure the object reported, kept with its log fields on the Worker's side. */
class ReportedFailure extends InternalFailure {
	readonly #fields: Record<string, unknown>;

	constructor(fields: Record<string, unknown>) {
		super(String(fields.msg ?? "failure in the settings cache"));
		this.name = "ReportedFailure";
		this.#fields = fields;
	}

	logFields() {
		return this.#fields;
	}
}

function receiveFailure({ answer, logFields }: SentFailure): Error {
	const cause = logFields ? new ReportedFailure(logFields) : undefined;
	if (!answer) return cause ?? new ReportedFailure({ msg: "unexpected error" });
	return new ApiError(answer.code, answer.message, {
		headers: answer.headers,
		...(answer.details ? { details: answer.details } : {}),
		...(cause ? { cause } : {}),
	});
}
