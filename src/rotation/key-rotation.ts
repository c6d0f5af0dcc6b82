/**
 * Rotation that finishes: after `CRM_ENCRYPTION_KEYS` gains a new first key, a scheduled job (Cron
 * Trigger, wrangler.toml) walks the instance's organizations through the Clerk Backend API and re-seals
 * every record an older key sealed under the current one, so no admin has to reconnect. Each run makes
 * at most `CRM_ROTATION_CLERK_CALLS_PER_RUN` Clerk calls (a page read, or a re-sealed record's fresh
 * read and write) and stops at the first throttled or failed call; the next run resumes where this one
 * stopped. A pass ends at the last page; the next run starts a new pass.
 *
 * Plaintext records are counted, and sealed only when `CRM_ROTATION_SEAL_PLAINTEXT` is "true": with a
 * ring configured, a plaintext key in the metadata is either legacy (saved before the ring existed) or
 * planted by anyone who can write Clerk metadata, and sealing a planted one would make it trusted (the
 * RPC entrypoint refuses plaintext). Only an operator who knows the plaintext records are legacy — right
 * after setting the first ring — turns it on, for one pass. Records that do not open (a key id the ring
 * lacks, tampering) are counted under their key id and left as they are.
 */
import { DurableObject } from "cloudflare:workers";
import { OrganizationNotFoundError, type OrganizationStore } from "../clerk/organization-store.ts";
import { storedRecordSchema } from "../crm/schemas.ts";
import { METADATA_KEY } from "../crm/settings-service.ts";
import { DecryptionError, decryptApiKey, sealApiKey } from "../crypto/api-key-envelope.ts";
import type { KeyRing } from "../crypto/key-ring.ts";
import { countSealing, type SealingCounts, sealingOf } from "./sealing.ts";

/** Organizations read per Clerk call: one call answers for many records. */
const ROTATION_PAGE_SIZE = 100;

/** Where the walk stands, kept between runs. */
export interface RotationCursor {
	/** The next organization to look at, counted from the newest (Clerk's order). */
	offset: number;
	/** This pass's records so far, per key id (after re-sealing), `plaintext` and `unreadable`. */
	counts: SealingCounts;
	resealed: number;
	/** Records under an old key id that did not open: left as they are. */
	unopenable: number;
}

const NEW_PASS: RotationCursor = { offset: 0, counts: {}, resealed: 0, unopenable: 0 };

export interface RotationRun {
	cursor: RotationCursor;
	clerkCalls: number;
	resealedThisRun: number;
	/** Set when this run finished a pass: its totals. */
	completedPass?: RotationCursor;
	/** Why the run stopped before its budget or the pass ended (a Clerk failure), for the log. */
	stoppedBy?: string;
}

interface RotationDependencies {
	store: OrganizationStore;
	keyRing: KeyRing;
	clerkCallsPerRun: number;
	/** Seal plaintext records too (the operator vouches that they are legacy). */
	sealPlaintext: boolean;
	/** Told after a record was re-sealed, so the organization's cached settings are read again. */
	resealed(orgId: string): Promise<void>;
}

/**
 * One run of the job from `cursor`: reads pages and re-seals records until the budget is spent or the
 * pass ends (a run never starts a second pass).
 *
 * @example
 * const run = await rotateKeys(NEW_PASS, { store, keyRing, clerkCallsPerRun: 25, resealed: async () => {} });
 */
export async function rotateKeys(cursor: RotationCursor, deps: RotationDependencies): Promise<RotationRun> {
	const run: RotationRun = { cursor: structuredClone(cursor), clerkCalls: 0, resealedThisRun: 0 };
	const budgetLeft = () => deps.clerkCallsPerRun - run.clerkCalls;
	try {
		while (budgetLeft() > 0) {
			run.clerkCalls++;
			const page = await deps.store.listOrganizations(run.cursor.offset, ROTATION_PAGE_SIZE);
			for (const organization of page.organizations) {
				const crm = organization.privateMetadata[METADATA_KEY];
				const stale = isStale(crm, deps);
				// Out of budget for this record's re-read and write: the next run reads this page again from here.
				if (stale && budgetLeft() < CALLS_PER_RESEAL) return run;
				const after = stale ? await reseal(organization.id, deps, run) : sealingOf(crm);
				countSealing(run.cursor.counts, after);
				run.cursor.offset++;
			}
			if (page.organizations.length < ROTATION_PAGE_SIZE) {
				run.completedPass = run.cursor;
				run.cursor = structuredClone(NEW_PASS);
				return run;
			}
		}
	} catch (error) {
		// Throttled or failing Clerk, or a refused secret: stop here, keep the cursor, try next run.
		run.stoppedBy = error instanceof Error ? error.name : "unknown";
	}
	return run;
}

/** A Clerk read of the record as it is now, then its write: what re-sealing one record costs. */
const CALLS_PER_RESEAL = 2;

/** Whether a record is sealed with an older key than the ring's current one (or is plaintext to seal). */
function isStale(crm: unknown, deps: RotationDependencies): boolean {
	const sealing = sealingOf(crm);
	if (sealing === "plaintext") return deps.sealPlaintext;
	return sealing !== null && typeof sealing === "object" && sealing.kid !== deps.keyRing.primaryId;
}

/**
 * (Re-)seals one record under the ring's current key; the sealing it is left with. The record is read
 * again first: the page may be seconds old, and an admin who disconnected or saved a new key since then
 * must keep what they did (writing back the page's copy would bring a removed key back). Clerk has no
 * conditional write, so a change in the moment between this read and the write below can still be
 * overwritten; the read makes that moment one Clerk round trip instead of a whole page's work.
 */
async function reseal(orgId: string, deps: RotationDependencies, run: RotationRun) {
	run.clerkCalls++;
	const crm = await currentRecord(orgId, deps);
	if (!isStale(crm, deps)) return sealingOf(crm);
	const record = storedRecordSchema.parse(crm);
	let apiKey: string;
	try {
		apiKey = await decryptApiKey(record, orgId, deps.keyRing);
	} catch (error) {
		if (!(error instanceof DecryptionError)) throw error;
		run.cursor.unopenable++;
		return sealingOf(crm);
	}
	run.clerkCalls++;
	// The whole record with the new envelope, so that it stays one consistent connection.
	const envelope = await sealApiKey(apiKey, orgId, deps.keyRing);
	await deps.store.mergePrivateMetadata(orgId, { [METADATA_KEY]: { ...record, apiKey: envelope } });
	await deps.resealed(orgId);
	run.cursor.resealed++;
	run.resealedThisRun++;
	return sealingOf({ ...record, apiKey: envelope });
}

/** The organization's record as Clerk holds it now; none when the organization was deleted meanwhile. */
async function currentRecord(orgId: string, deps: RotationDependencies): Promise<unknown> {
	try {
		return (await deps.store.readPrivateMetadata(orgId))[METADATA_KEY];
	} catch (error) {
		if (error instanceof OrganizationNotFoundError) return null;
		throw error;
	}
}

/**
 * The job's cursor, one object for the whole instance (named after the Clerk API URL), and a lease so
 * that two runs never walk at once (a Cron Trigger may fire while a slow run still works).
 */
export class KeyRotationState extends DurableObject<Env> {
	/** Takes the lease and the cursor, or null while another run holds an unexpired lease. */
	async begin(now: number, leaseMs: number): Promise<RotationCursor | null> {
		const lease = this.ctx.storage.kv.get<number>("leaseUntil");
		if (lease !== undefined && lease > now) return null;
		this.ctx.storage.kv.put("leaseUntil", now + leaseMs);
		return this.ctx.storage.kv.get<RotationCursor>("cursor") ?? NEW_PASS;
	}

	/** Keeps the cursor for the next run and lets go of the lease. */
	async end(cursor: RotationCursor): Promise<void> {
		this.ctx.storage.kv.put("cursor", cursor);
		this.ctx.storage.kv.delete("leaseUntil");
	}
}
