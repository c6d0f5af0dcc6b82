/**
 * The platform's Workers reach an organization's CRM credential here, over a service binding (Workers
 * RPC) — never over public HTTP: this entrypoint has no route. The key is opened inside this Worker (by
 * the organization's owner), so the encryption key ring never leaves it.
 *
 * Bind it from another Worker's wrangler.toml:
 *   services = [{ binding = "CRM_CREDENTIALS", service = "crm-settings-api", entrypoint = "CrmCredentials" }]
 * and call `await env.CRM_CREDENTIALS.getCredential(orgId)`.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { isClerkOrganizationId } from "../auth/session.ts";
import { loadConfig } from "../config/config.ts";
import type { Outcome } from "../crm/outcome.ts";
import type { CrmCredential } from "../crm/owner.ts";
import { safeLogFields } from "../errors/failure.ts";
import { log } from "../log.ts";
import { ownersFor } from "../services.ts";

export type { CrmCredential } from "../crm/owner.ts";

/** Why a service using the key reports it: the CRM answered 401 or 403. */
export const REJECTION_REASONS = ["unauthorized", "forbidden"] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/**
 * Workers RPC for the platform's own Workers. Errors cross RPC as plain `Error`s whose message says
 * what is wrong (never a key, a secret, or the argument given); each call logs one line, without the key.
 */
export class CrmCredentials extends WorkerEntrypoint<Env> {
	/**
	 * The organization's credential, or null when no CRM is connected: from the organization's owner,
	 * which asks Clerk only when its copy of the sealed record is older than `CRM_CACHE_TTL_SECONDS`.
	 *
	 * With `CRM_ENCRYPTION_KEYS` set, a plaintext key found in the metadata is refused: anyone who can
	 * write Clerk metadata could have planted it, and sealed storage is what this deployment promised.
	 */
	async getCredential(orgId: string): Promise<CrmCredential | null> {
		return this.#call("getCredential", orgId, {}, (owners) => owners.credential(orgId));
	}

	/**
	 * Tells this service that the CRM refused the organization's key (HTTP 401 → `unauthorized`, 403 →
	 * `forbidden`): the connection is marked `rejected`, which its admins see. `connectedAt` is the one
	 * `getCredential` gave, so that a report about a connection an admin has since replaced changes
	 * nothing. True when the connection is now marked rejected; false when it is no longer connected.
	 */
	async reportRejected(
		orgId: string,
		report: { connectedAt: string; reason: RejectionReason },
	): Promise<boolean> {
		const connectedAt = typeof report?.connectedAt === "string" ? report.connectedAt : "";
		const reason = REJECTION_REASONS.find((known) => known === report?.reason);
		const problem =
			connectedAt === ""
				? "report.connectedAt must be the connectedAt getCredential gave"
				: reason === undefined
					? `report.reason must be one of ${REJECTION_REASONS.join(", ")}`
					: undefined;
		return this.#call(
			"reportRejected",
			orgId,
			{ reason: reason ?? null },
			(owners) => owners.reportRejected(orgId, connectedAt),
			problem,
		);
	}

	/**
	 * Refuses a malformed organization id (or the other argument's `argumentProblem`) before anything
	 * else, asks the owner, and logs the call: its outcome, never the key.
	 */
	async #call<T>(
		method: string,
		orgId: unknown,
		fields: Record<string, unknown>,
		work: (owners: ReturnType<typeof ownersFor>) => Promise<Outcome<T>>,
		argumentProblem?: string,
	): Promise<T> {
		const line = { msg: `rpc ${method}`, ...fields };
		if (typeof orgId !== "string" || !isClerkOrganizationId(orgId)) {
			// Neither the message nor the log repeats the value: a secret passed by mistake must go nowhere.
			const problem = "orgId is not a Clerk organization id (org_ followed by letters and digits)";
			log("warn", { ...line, outcome: "refused", problem });
			throw new Error(problem);
		}
		if (argumentProblem !== undefined) {
			log("warn", { ...line, orgId, outcome: "refused", problem: argumentProblem });
			throw new Error(argumentProblem);
		}
		let outcome: Outcome<T>;
		try {
			outcome = await work(ownersFor(this.env, loadConfig(this.env)));
		} catch (error) {
			outcome = { ok: false, failure: { log: safeLogFields(error) } };
		}
		if (!outcome.ok) {
			const { answer, log: cause } = outcome.failure;
			log("error", { ...line, orgId, outcome: "failed", ...(answer ? { code: answer.code } : {}), cause });
			throw new Error(answer?.message ?? String(cause?.problem ?? "internal error"));
		}
		const result = outcome.value;
		const said = result === null ? "not connected" : result === false ? "not the current connection" : "ok";
		log("info", { ...line, orgId, outcome: said });
		return result;
	}
}
