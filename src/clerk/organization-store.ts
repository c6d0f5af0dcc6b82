import type { Config } from "../config/config.ts";
import { InternalFailure, upstreamFailure } from "../errors/failure.ts";
import { type AttemptHooks, fetchWithRetry, type RetryPolicy } from "../http/fetch-with-retry.ts";

/** What the service needs from Clerk: one organization's private metadata, read and deep-merged. */
export interface OrganizationStore {
	readPrivateMetadata(orgId: string): Promise<Record<string, unknown>>;
	/** Deep-merges `patch` into the private metadata; a `null` value deletes its key (Clerk's rules). */
	mergePrivateMetadata(orgId: string, patch: Record<string, unknown>): Promise<void>;
	/**
	 * One page of the instance's organizations with their private metadata, newest first (Clerk's
	 * order), `limit` 1–500 from `offset`: the key-rotation job and the operators' report walk them.
	 */
	listOrganizations(offset: number, limit: number): Promise<OrganizationPage>;
}

export interface OrganizationPage {
	organizations: { id: string; privateMetadata: Record<string, unknown> }[];
}

/** Clerk's largest page of organizations (Backend API reference, `GET /organizations`: limit 1–500). */
export const CLERK_MAX_PAGE = 500;

/**
 * The Backend API version every call pins (`Clerk-API-Version`): the one @clerk/backend 3.25 speaks
 * (its SUPPORTED_BAPI_VERSION), so Clerk answers in the shapes this code was written and tested for.
 */
export const CLERK_API_VERSION = "2026-05-12";

/**
 * Per attempt 2.5 s, at most 3 attempts, 5 s in all: a request answers well within 10 s even when
 * Clerk never does. Both calls are safe to retry: the read has no effect and the PATCH writes the same
 * full record each time. 409 is retried too: Clerk answers `resource_locked` to a write that meets
 * another one on the same organization (Clerk's Backend API reference).
 */
export const CLERK_RETRY_POLICY: RetryPolicy = {
	attemptTimeoutMs: 2500,
	totalBudgetMs: 5000,
	maxAttempts: 3,
	baseDelayMs: 100,
	alsoRetry: [409],
};

/** Clerk's error code when a metadata write would take the organization's metadata past 8 KB (422). */
const TOO_LARGE = "form_param_exceeds_allowed_size";

/**
 * The three Clerk Backend API calls the Worker makes (read and merge one organization's private
 * metadata, list organizations), over plain `fetch` (the BAPI SDK would add about 55 KiB for them),
 * with `Clerk-API-Version` pinned. Failures are `InternalFailure`s of a kind: Clerk refusing the secret
 * key `configuration` (naming `CLERK_SECRET_KEY`), an unknown organization `not-found`, a write over
 * Clerk's metadata limit `too-large`, Clerk throttling, failing or silent past the retries `unavailable`,
 * anything else `upstream`. What the client hears is the organization's owner's call.
 *
 * `writeHooks` sees the attempts of a metadata write that passed their timeout (see AttemptHooks).
 *
 * @example
 * const store = clerkOrganizationStore(config);
 * await store.mergePrivateMetadata("org_123", { crm: null });
 */
export function clerkOrganizationStore(
	config: Pick<Config, "clerkApiUrl" | "clerkSecretKey">,
	writeHooks?: AttemptHooks,
): OrganizationStore {
	const call = async (method: "GET" | "PATCH", path: string, body?: unknown): Promise<unknown> => {
		const url = `${config.clerkApiUrl}/v1${path}`;
		const makeRequest = () =>
			new Request(url, {
				method,
				headers: {
					Authorization: `Bearer ${config.clerkSecretKey}`,
					"Clerk-API-Version": CLERK_API_VERSION,
					"Content-Type": "application/json",
					Accept: "application/json",
				},
				...(body === undefined ? {} : { body: JSON.stringify(body) }),
			});
		const hooks = method === "PATCH" ? writeHooks : undefined;
		const response = await fetchWithRetry("clerk", makeRequest, CLERK_RETRY_POLICY, hooks);
		if (!response.ok) throw await failureOf(method, path, response);
		try {
			return await response.json();
		} catch {
			throw upstreamFailure(
				"upstream",
				"clerk",
				`${method} ${pathShape(path)} answered with a body that is not JSON`,
				{
					status: response.status,
					attempts: 1,
				},
			);
		}
	};

	return {
		async readPrivateMetadata(orgId) {
			const organization = await call("GET", `/organizations/${encodeURIComponent(orgId)}`);
			return privateMetadataOf(organization);
		},
		async mergePrivateMetadata(orgId, patch) {
			await call("PATCH", `/organizations/${encodeURIComponent(orgId)}/metadata`, {
				private_metadata: patch,
			});
		},
		async listOrganizations(offset, limit) {
			const query = new URLSearchParams({ offset: String(offset), limit: String(limit) });
			const page = await call("GET", `/organizations?${query}`);
			const data = isRecord(page) && Array.isArray(page.data) ? page.data : undefined;
			if (!data) {
				throw upstreamFailure("upstream", "clerk", "GET /organizations answered a body that is not a page", {
					attempts: 1,
				});
			}
			return {
				organizations: data.map((organization: unknown) => ({
					id: isRecord(organization) ? String(organization.id) : "",
					privateMetadata: privateMetadataOf(organization),
				})),
			};
		},
	};
}

/** The typed failure of a Clerk answer that is not a success (after retries, when retrying applied). */
async function failureOf(method: string, path: string, response: Response): Promise<InternalFailure> {
	const codes = await clerkErrorCodes(response);
	const { status } = response;
	// 401 `clerk_key_invalid` (and 403): rotated or wrong secret. No retry or caller can fix that.
	if (status === 401 || status === 403) {
		return new InternalFailure(
			"configuration",
			`CLERK_SECRET_KEY was refused by Clerk (HTTP ${status}): set the instance's current secret key`,
		);
	}
	if (status === 404) {
		return upstreamFailure(
			"not-found",
			"clerk",
			`${method} /organizations/{id}: Clerk has no such organization`,
			{
				status,
				attempts: 1,
			},
		);
	}
	if (method === "PATCH" && status === 422 && codes.includes(TOO_LARGE)) {
		return upstreamFailure(
			"too-large",
			"clerk",
			"PATCH /organizations/{id}/metadata refused: over Clerk's 8 KB metadata limit",
			{ status, attempts: 1 },
		);
	}
	return upstreamFailure("upstream", "clerk", `${method} ${pathShape(path)} answered HTTP ${status}`, {
		status,
		attempts: 1,
	});
}

/** The `code`s of a Clerk error body (`{ errors: [{ code, message }] }`); none when it is not one. */
async function clerkErrorCodes(response: Response): Promise<string[]> {
	try {
		const body = (await response.json()) as { errors?: unknown };
		return Array.isArray(body.errors) ? body.errors.map((error) => String(error?.code)) : [];
	} catch {
		return [];
	}
}

function privateMetadataOf(organization: unknown): Record<string, unknown> {
	const metadata = isRecord(organization) ? organization.private_metadata : undefined;
	if (metadata === undefined || metadata === null) return {};
	if (!isRecord(metadata))
		throw upstreamFailure("upstream", "clerk", "organization has no private_metadata object", {
			attempts: 1,
		});
	return metadata;
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

// Logs name the endpoint, not the organization: the request log line already carries the org id.
function pathShape(path: string): string {
	return path.replace(/\?.*$/, "").replace(/^\/organizations\/[^/]+/, "/organizations/{id}");
}
