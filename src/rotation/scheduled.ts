/**
 * The Cron Trigger's run of the key-rotation job (wrangler.toml `[triggers]`): takes the lease, runs
 * one budgeted stretch of the walk (./key-rotation.ts), keeps the cursor, and logs what it did.
 */
import { CLERK_RETRY_POLICY, clerkOrganizationStore } from "../clerk/organization-store.ts";
import { loadConfig } from "../config/config.ts";
import { safeLogFields } from "../errors/failure.ts";
import { log } from "../log.ts";
import { ownersFor } from "../services.ts";
import { type RotationRun, rotateKeys } from "./key-rotation.ts";
import { countsAsObject } from "./sealing.ts";

/**
 * How long a run holds the lease: longer than the run can take — each of its Clerk calls gives up within
 * Clerk's retry budget, plus a minute for the rest — so that a crashed run's lease expires soon after.
 */
const leaseMs = (clerkCallsPerRun: number) => clerkCallsPerRun * CLERK_RETRY_POLICY.totalBudgetMs + 60_000;

/**
 * @example
 * export default { scheduled: (_controller, env, ctx) => ctx.waitUntil(runKeyRotation(env)) };
 */
export async function runKeyRotation(env: Env, now: () => number = Date.now): Promise<void> {
	let config: ReturnType<typeof loadConfig>;
	try {
		config = loadConfig(env);
	} catch (error) {
		log("error", { msg: "key rotation not run", cause: safeLogFields(error) });
		return;
	}
	const keyRing = config.encryptionKeys;
	if (!keyRing) {
		log("info", {
			msg: "key rotation not run",
			reason: "CRM_ENCRYPTION_KEYS is not set: keys are stored in plaintext",
		});
		return;
	}
	// One cursor per Clerk instance: the walk is over that instance's organizations.
	const state = env.KEY_ROTATION.get(env.KEY_ROTATION.idFromName(config.clerkApiUrl));
	const cursor = await state.begin(now(), leaseMs(config.rotationClerkCallsPerRun));
	if (!cursor) {
		log("info", { msg: "key rotation not run", reason: "another run holds the lease" });
		return;
	}
	const owners = ownersFor(env, config);
	let run: RotationRun | undefined;
	try {
		run = await rotateKeys(cursor, {
			store: clerkOrganizationStore(config),
			keyRing,
			clerkCallsPerRun: config.rotationClerkCallsPerRun,
			sealPlaintext: config.rotationSealsPlaintext,
			reseal: (orgId) => owners.reseal(orgId, config.rotationSealsPlaintext),
		});
	} finally {
		await state.end(run?.cursor ?? cursor);
	}
	logRun(run, keyRing.primaryId);
}

function logRun(run: RotationRun, currentKid: string): void {
	const { cursor, completedPass, stoppedBy } = run;
	log(stoppedBy ? "warn" : "info", {
		msg: "key rotation run",
		currentKid,
		clerkCalls: run.clerkCalls,
		resealed: run.resealedThisRun,
		// Records passed over: their key id is missing from the ring, or Clerk refused their write.
		...(run.unopenableThisRun > 0 ? { unopenable: run.unopenableThisRun } : {}),
		...(run.refusedThisRun > 0 ? { refused: run.refusedThisRun } : {}),
		...(stoppedBy ? { stoppedBy: `a Clerk call failed (${stoppedBy}); the next run resumes here` } : {}),
		...(completedPass ? {} : { offset: cursor.offset, passSoFar: countsAsObject(cursor.counts) }),
	});
	if (completedPass) {
		// The pass's census: records per key id. A running count (organizations created or deleted during
		// the pass shift Clerk's offsets): `npm run keys:report -- --retired KID` is the gate for the ring.
		log("info", {
			msg: "key rotation pass complete",
			currentKid,
			records: countsAsObject(completedPass.counts),
			resealed: completedPass.resealed,
			unopenable: completedPass.unopenable,
			refused: completedPass.refused,
		});
	}
}
