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
import { clerkOrganizationStore } from "../clerk/organization-store.ts";
import { loadConfig } from "../config/config.ts";
import { type Provider, storedRecordSchema } from "../crm/schemas.ts";
import { METADATA_KEY } from "../crm/settings-service.ts";
import { decryptApiKey } from "../crypto/api-key-envelope.ts";

/** An organization's connected CRM, with the key in plaintext, for the caller to use and not keep. */
export interface CrmCredential {
	provider: Provider;
	apiKey: string;
	/** The shareable id of a Close key `api_<id>.<secret>`; null for other keys. */
	apiKeyId: string | null;
	connectedAt: string;
	/** `verified` when the key was checked with the CRM on connect; `unverified` otherwise. */
	status: "verified" | "unverified";
}

/**
 * Workers RPC for the platform's own Workers. Errors cross RPC as plain `Error`s whose message says
 * what is wrong (never a key or a secret).
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
		if (!isClerkOrganizationId(orgId))
			throw new Error(`"${orgId.slice(0, 80)}" is not a Clerk organization id`);
		const config = loadConfig(this.env);
		const metadata = await clerkOrganizationStore(config).readPrivateMetadata(orgId);
		const stored = metadata[METADATA_KEY];
		if (stored === undefined || stored === null) return null;

		const parsed = storedRecordSchema.safeParse(stored);
		if (!parsed.success) throw new Error("the organization's stored CRM record is malformed");
		const record = parsed.data;
		if (config.encryptionKeys && typeof record.apiKey === "string") {
			throw new Error(
				"the stored CRM key is in plaintext although CRM_ENCRYPTION_KEYS is set: refused; the organization's admin must reconnect the CRM",
			);
		}
		return {
			provider: record.provider,
			apiKey: await decryptApiKey(record, orgId, config.encryptionKeys ?? undefined),
			apiKeyId: record.apiKeyId ?? null,
			connectedAt: record.connectedAt,
			status: record.verifiedAt ? "verified" : "unverified",
		};
	}
}
