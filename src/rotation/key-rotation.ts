/**
 * Rotation that finishes: after `CRM_ENCRYPTION_KEYS` gains a new first key, a scheduled job (Cron
 * Trigger, wrangler.toml) walks the instance's organizations through the Clerk Backend API and has each
 * organization's owner re-seal a record an older key sealed under the current one, so no admin has to
 * reconnect. Each run makes at most `CRM_ROTATION_CLERK_CALLS_PER_RUN` Clerk calls (a page read, or a
 * record's fresh read and write) and stops at the first failure of Clerk itself (throttled, failing,
 * refusing the secret); the next run resumes there. A problem of one record — Clerk refusing its write
 * (422), a key id the ring lacks, tampering — is counted and passed over, so one record never stalls
 * the walk. A pass ends at the last page; the next run starts a new pass.
 *
 * Plaintext records are counted, and sealed only when `CRM_ROTATION_SEAL_PLAINTEXT` is "true": with a
 * ring configured, a plaintext key in the metadata is either legacy (saved before the ring existed) or
 * planted by anyone who can write Clerk metadata, and sealing a planted one would make it trusted.
 */
import { DurableObject } from "cloudflare:workers";
import type { OrganizationStore } from "../clerk/organization-store.ts";
import type { Outcome } from "../crm/outcome.ts";
import type { ResealResult } from "../crm/owner.ts";
import { METADATA_KEY, needsSealing, readRecord, sealingOf } from "../crm/record.ts";
import type { KeyRing } from "../crypto/key-ring.ts";
import { countSealing, type SealingCounts } from "./sealing.ts";

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
	/** Records whose re-sealed write Clerk refused (its 8 KB metadata limit): left as they are. */
	refused: number;
}

export const newPass = (): RotationCursor => ({
	offset: 0,
	counts: new Map(),
	resealed: 0,
	unopenable: 0,
	refused: 0,
});

export interface RotationRun {
	cursor: RotationCursor;
	clerkCalls: number;
	resealedThisRun: number;
	/** Records passed over in this run (see RotationCursor). */
	unopenableThisRun: number;
	refusedThisRun: number;
	/** Set when this run finished a pass: its totals. */
	completedPass?: RotationCursor;
	/** What stopped the run before its budget or the pass ended (a Clerk failure), for the log. */
	stoppedBy?: string;
}

export interface RotationDependencies {
	store: OrganizationStore;
	keyRing: KeyRing;
	clerkCallsPerRun: number;
	/** Seal plaintext records too (the operator vouches that they are legacy). */
	sealPlaintext: boolean;
	/** Has the organization's owner re-seal its record (see CrmRecordOwner.reseal). */
	reseal(orgId: string): Promise<Outcome<ResealResult>>;
}

/** The Clerk calls a re-seal made: the fresh read, and the write when there was one. */
const CALLS_OF: Record<ResealResult["outcome"], number> = {
	resealed: 2,
	refused: 2,
	current: 1,
	gone: 1,
	unopenable: 1,
	unreadable: 1,
};
/** What a re-seal can cost: the budget a run keeps for one before it starts it. */
const CALLS_PER_RESEAL = 2;

/**
 * One run of the job from `cursor`: reads pages and re-seals records until the budget is spent or the
 * pass ends (a run never starts a second pass).
 *
 * @example
 * const run = await rotateKeys(newPass(), { store, keyRing, clerkCallsPerRun: 25, sealPlaintext: false, reseal });
 */
export async function rotateKeys(cursor: RotationCursor, deps: RotationDependencies): Promise<RotationRun> {
	const run: RotationRun = {
		cursor: structuredClone(cursor),
		clerkCalls: 0,
		resealedThisRun: 0,
		unopenableThisRun: 0,
		refusedThisRun: 0,
	};
	const budgetLeft = () => deps.clerkCallsPerRun - run.clerkCalls;
	try {
		while (budgetLeft() > 0) {
			run.clerkCalls++;
			const page = await deps.store.listOrganizations(run.cursor.offset, ROTATION_PAGE_SIZE);
			for (const organization of page.organizations) {
				const record = readRecord(organization.privateMetadata[METADATA_KEY]);
				if (!needsSealing(record, deps.keyRing, deps.sealPlaintext)) {
					countSealing(run.cursor.counts, sealingOf(record));
				} else {
					// Out of budget for this record's re-read and write: the next run reads this page again from here.
					if (budgetLeft() < CALLS_PER_RESEAL) return run;
					const outcome = await deps.reseal(organization.id);
					if (!outcome.ok) {
						run.clerkCalls++; // its read, at most: a failure the owner remembers costs none
						run.stoppedBy = String(outcome.failure.log?.problem ?? "unknown");
						return run;
					}
					run.clerkCalls += CALLS_OF[outcome.value.outcome];
					countResult(run, outcome.value);
				}
				run.cursor.offset++;
			}
			if (page.organizations.length < ROTATION_PAGE_SIZE) {
				run.completedPass = run.cursor;
				run.cursor = newPass();
				return run;
			}
		}
	} catch (error) {
		// A page Clerk did not give (throttled, failing, refused secret): stop here, try next run.
		run.stoppedBy = error instanceof Error ? error.message : "unknown";
	}
	return run;
}

function countResult(run: RotationRun, { outcome, sealing }: ResealResult): void {
	countSealing(run.cursor.counts, sealing);
	if (outcome === "resealed") {
		run.cursor.resealed++;
		run.resealedThisRun++;
	} else if (outcome === "unopenable") {
		run.cursor.unopenable++;
		run.unopenableThisRun++;
	} else if (outcome === "refused") {
		run.cursor.refused++;
		run.refusedThisRun++;
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
		// "-v2": the counts became a Map; a cursor kept in the old shape is dropped, and a new pass starts.
		return this.ctx.storage.kv.get<RotationCursor>("cursor-v2") ?? newPass();
	}

	/** Keeps the cursor for the next run and lets go of the lease. */
	async end(cursor: RotationCursor): Promise<void> {
		this.ctx.storage.kv.put("cursor-v2", cursor);
		this.ctx.storage.kv.delete("leaseUntil");
	}
}
