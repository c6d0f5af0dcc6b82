/**
 * The platform's Workers reach an organization's CRM credential here, over a service binding (Workers
 * RPC) — never over public HTTP: this entrypoint has no route. The key is decrypted inside this Worker,
 * so the encryption key ring never leaves it.
 *
 * Bind it from another Worker's wrangler.toml:
 *   services = [{ binding = "CRM_CREDENTIALS", service = "crm-settings-api", entrypoint = "CrmCredentials" }]
 * and call `await env.CRM_CREDENTIALS.getCredential(orgId)`.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { isClerkOrganizationId } from "../auth/session.ts";
import { loadConfig } from "../config/config.ts";
import type { ConnectionStatus, Provider } from "../crm/schemas.ts";
import { healthOf, REJECTION_REASONS, type RejectionReason } from "../crm/settings-service.ts";
import { ApiError, InternalFailure, safeLogFields } from "../errors/api-error.ts";
import { log } from "../middleware/log.ts";
import { crmSettingsFor } from "../middleware/services.ts";

/** An organization's connected CRM, with the key in plaintext, for the caller to use and not keep. */
export interface CrmCredential {
	provider: Provider;
	apiKey: string;
	/** The shareable id of a Close key `api_<id>.<secret>`; null for other keys. */
	apiKeyId: string | null;
	/** Names this connection: pass it back to `reportRejected`. */
	connectedAt: string;
	/** `verified` or `rejected` as of the last check with the CRM (`checkedAt`); `unverified` if never checked. */
	status: ConnectionStatus;
	checkedAt: string | null;
}

/**
 * Workers RPC for the platform's own Workers. Errors cross RPC as plain `Error`s whose message says
 * what is wrong (never a key or a secret); each call logs one line, without the key.
 */
export class CrmCredentials extends WorkerEntrypoint<Env> {
	/**
	 * The organization's credential, read from Clerk (not from the settings cache, which never holds a
	 * key), or null when no CRM is connected.
	 *
	 * With `CRM_ENCRYPTION_KEYS` set, a plaintext key found in the metadata is refused: anyone who can
	 * write Clerk metadata could have planted it, and sealed storage is what this deployment promised.
	 */
	async getCredential(orgId: string): Promise<CrmCredential | null> {
		return this.#call("getCredential", orgId, {}, async (settings) => {
			const found = await settings.credential(orgId);
			if (!found) return null;
			const { record, apiKey } = found;
			return {
				provider: record.provider,
				apiKey,
				apiKeyId: record.apiKeyId ?? null,
				connectedAt: record.connectedAt,
				...healthOf(record),
			};
		});
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
			(settings) => settings.reportRejected(orgId, connectedAt),
			problem,
		);
	}

	/**
	 * Refuses a malformed organization id (or the other argument's `argumentProblem`) before anything
	 * else, runs `work`, and logs the call: its outcome, never the key.
	 */
	async #call<T>(
		method: string,
		orgId: unknown,
		fields: Record<string, unknown>,
		work: (settings: ReturnType<typeof crmSettingsFor>) => Promise<T>,
		argumentProblem?: string,
	): Promise<T> {
		const line = { msg: `rpc ${method}`, ...fields };
		if (typeof orgId !== "string" || !isClerkOrganizationId(orgId)) {
			// The value goes back to its caller only: a secret passed by mistake must not reach the log.
			log("warn", { ...line, outcome: "refused", problem: "not a Clerk organization id" });
			throw new Error(`${JSON.stringify(String(orgId).slice(0, 80))} is not a Clerk organization id`);
		}
		if (argumentProblem !== undefined) {
			log("warn", { ...line, orgId, outcome: "refused", problem: argumentProblem });
			throw new Error(argumentProblem);
		}
		try {
			const config = loadConfig(this.env);
			const result = await work(
				crmSettingsFor(this.env, config, (warning) => log("warn", { ...warning, orgId })),
			);
			const outcome =
				result === null ? "not connected" : result === false ? "not the current connection" : "ok";
			log("info", { ...line, orgId, outcome });
			return result;
		} catch (error) {
			log("error", { ...line, orgId, outcome: "failed", ...failureFields(error) });
			throw new Error(
				error instanceof ApiError || error instanceof InternalFailure ? error.message : "internal error",
			);
		}
	}
}

/** What the log may say of a failure: the answer's code, and the safe fields of what caused it. */
function failureFields(error: unknown): Record<string, unknown> {
	if (!(error instanceof ApiError)) return { cause: safeLogFields(error) };
	if (error.cause instanceof InternalFailure) return { code: error.code, cause: error.cause.logFields() };
	return { code: error.code };
}
