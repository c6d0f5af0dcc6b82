/**
 * A local stand-in for the two upstreams of the service, for `npm run dev` and the test suite:
 *
 * - Clerk Backend API: `GET /v1/organizations` (the list), `GET /v1/organizations/{id}` and
 *   `PATCH /v1/organizations/{id}/metadata`, with
 *   stateful metadata and Clerk's published behaviour — the merge rules, the error codes of Clerk's BAPI
 *   OpenAPI spec (version 2026-05-12: 401 `clerk_key_invalid`, 404 `resource_not_found`, 422
 *   `form_param_exceeds_allowed_size` for metadata over 8 KB, 409 `resource_locked`, 429
 *   `too_many_requests` with `Retry-After`) and the limits of Clerk's "system limits" page (10 metadata
 *   writes per 10 s per organization; optionally the instance's 100 or 1000 requests per 10 s).
 * - Close: `GET /api/v1/me/` with HTTP Basic auth, 200 for a known key and 401 otherwise.
 * - Bullhorn's login services (loginInfo, OAuth authorize and token, REST login, ping): ./bullhorn.ts.
 * - Control endpoints under `/__emulator/` to seed organizations, read state and the call log, and
 *   queue faults.
 *
 * Never part of the deployed Worker.
 */
import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type BullhornUserSeed, createBullhornEmulator } from "./bullhorn.ts";
import {
	type ConnectionControl,
	type Fault,
	FaultQueues,
	isTransportFault,
	playTransportFault,
} from "./faults.ts";
import { isPlainObject, type Metadata, mergeMetadata } from "./metadata-merge.ts";

/** The target under which calls to list organizations are recorded and faults for them are queued. */
export const ORGANIZATION_LIST = "organizations";

/** Clerk refuses metadata larger than this (per metadata object, serialized). */
export const CLERK_METADATA_LIMIT_BYTES = 8 * 1024;

/** Clerk's rate-limit window, and its metadata writes allowed per organization in it ("system limits"). */
export const CLERK_RATE_WINDOW_MS = 10_000;
export const CLERK_METADATA_WRITES_PER_WINDOW = 10;

export interface EmulatorOptions {
	/** The `CLERK_SECRET_KEY` the emulated Backend API accepts. */
	secretKey: string;
	/** Create an organization on first use instead of answering 404 (handy for `npm run dev`). */
	autoCreateOrganizations?: boolean;
	/** Close API keys that `/api/v1/me/` accepts. */
	closeApiKeys?: string[];
	/**
	 * Clerk's instance-wide limit on Backend API requests per 10 s (100 on a development instance, 1000
	 * in production); off unless set.
	 */
	instanceRequestsPerWindow?: number;
	/** Bullhorn API users to create at start (`npm run dev`'s), with their OAuth clients. */
	bullhornUsers?: BullhornUserSeed[];
	/** Wait this long before answering each Clerk or Close call, as a real network would (e.g. 40). */
	latencyMs?: number;
}

/** What `POST /__emulator/organizations` takes: an id (one is made up when absent) and metadata. */
export interface OrganizationSeed {
	id?: string;
	public_metadata?: Metadata;
	private_metadata?: Metadata;
}

export interface Organization {
	object: "organization";
	id: string;
	name: string;
	slug: string;
	public_metadata: Metadata;
	private_metadata: Metadata;
	created_at: number;
	updated_at: number;
}

export interface RecordedCall {
	service: "clerk" | "close";
	method: string;
	path: string;
	/** The organization (Clerk) or API key id (Close) the call was about. */
	target: string;
	body?: unknown;
	/** The `Clerk-API-Version` header the call carried (Clerk calls only; null when absent). */
	apiVersion?: string | null;
}

export function createEmulator(options: EmulatorOptions) {
	const organizations = new Map<string, Organization>();
	const calls: RecordedCall[] = [];
	const faults = new FaultQueues();
	const closeApiKeys = new Set(options.closeApiKeys ?? []);
	const limits = new RateLimits();

	const createOrganization = (
		id: string,
		seed: Partial<Pick<Organization, "public_metadata" | "private_metadata">> = {},
	) => {
		const now = Date.now();
		const organization: Organization = {
			object: "organization",
			id,
			name: id,
			slug: id.toLowerCase().replaceAll("_", "-"),
			public_metadata: seed.public_metadata ?? {},
			private_metadata: seed.private_metadata ?? {},
			created_at: now,
			updated_at: now,
		};
		organizations.set(id, organization);
		return organization;
	};

	const app = new Hono<{ Bindings: { connection?: ConnectionControl } }>();

	// A queued fault for this call's target answers instead of the emulator.
	const applyFault = async (fault: Fault | undefined, connection: ConnectionControl | undefined) => {
		if (!fault) return undefined;
		if ("status" in fault) {
			return clerkError(fault.status, "emulated_fault", "Emulated upstream failure", fault.retryAfter);
		}
		if (isTransportFault(fault)) return playTransportFault(fault, '{"object": "organization", ', connection);
		switch (fault.kind) {
			case "metadata-limit":
				return clerkError(
					422,
					"form_param_exceeds_allowed_size",
					"metadata exceeds the maximum allowed size of 8KB",
				);
			case "locked":
				return clerkError(409, "resource_locked", "The resource is locked by another request");
		}
	};

	// A real network between the Worker and its upstreams, for the benchmark and `npm run dev`.
	app.use("*", async (c, next) => {
		if (options.latencyMs && !c.req.path.startsWith("/__emulator/")) {
			await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
		}
		await next();
	});

	// Clerk Backend API
	app.use("/v1/*", async (c, next) => {
		if (c.req.header("Authorization") !== `Bearer ${options.secretKey}`) {
			return clerkError(401, "clerk_key_invalid", "The provided Secret Key is invalid.");
		}
		// The instance's limit counts every request of the secret key (Clerk's "system limits" page).
		const instanceWait = limits.take("instance", options.instanceRequestsPerWindow);
		if (instanceWait !== undefined) return tooManyRequests(instanceWait);
		await next();
	});

	// The instance's organizations, newest first, `limit` 1–500 (default 10) from `offset` (default 0),
	// as `{ data, total_count }` (Clerk's BAPI spec, `GET /organizations`). Recorded, and faulted, under
	// the target "organizations".
	app.get("/v1/organizations", async (c) => {
		calls.push({
			service: "clerk",
			method: "GET",
			path: c.req.path,
			target: ORGANIZATION_LIST,
			apiVersion: c.req.header("Clerk-API-Version") ?? null,
		});
		const faulted = await applyFault(faults.take(ORGANIZATION_LIST, "GET"), c.env?.connection);
		if (faulted) return faulted;
		const limit = Number(c.req.query("limit") ?? 10);
		const offset = Number(c.req.query("offset") ?? 0);
		if (!Number.isInteger(limit) || limit < 1 || limit > 500 || !Number.isInteger(offset) || offset < 0) {
			return clerkError(422, "form_param_value_invalid", "limit must be 1–500 and offset at least 0");
		}
		const newestFirst = [...organizations.values()].reverse();
		return c.json({ data: newestFirst.slice(offset, offset + limit), total_count: newestFirst.length });
	});

	app.on(["GET", "PATCH"], ["/v1/organizations/:id", "/v1/organizations/:id/metadata"], async (c) => {
		const id = c.req.param("id");
		const isMetadataPatch = c.req.method === "PATCH" && c.req.path.endsWith("/metadata");
		const isRead = c.req.method === "GET" && !c.req.path.endsWith("/metadata");
		if (!isMetadataPatch && !isRead) return clerkError(405, "method_not_allowed", "Method not allowed");

		const body = isMetadataPatch ? await c.req.json().catch(() => undefined) : undefined;
		calls.push({
			service: "clerk",
			method: c.req.method,
			path: c.req.path,
			target: id,
			apiVersion: c.req.header("Clerk-API-Version") ?? null,
			...(isMetadataPatch ? { body } : {}),
		});

		const faulted = await applyFault(faults.take(id, c.req.method), c.env?.connection);
		if (faulted) return faulted;

		const organization =
			organizations.get(id) ?? (options.autoCreateOrganizations ? createOrganization(id) : undefined);
		if (!organization) return clerkError(404, "resource_not_found", "Organization not found");
		if (isRead) return c.json(organization);

		const writeWait = limits.take(`metadata:${id}`, CLERK_METADATA_WRITES_PER_WINDOW);
		if (writeWait !== undefined) return tooManyRequests(writeWait);

		if (!isPlainObject(body))
			return clerkError(400, "form_param_format_invalid", "Body must be a JSON object");
		const updated = { ...organization };
		for (const field of ["public_metadata", "private_metadata"] as const) {
			const patch = body[field];
			if (patch === undefined) continue;
			if (!isPlainObject(patch))
				return clerkError(422, "form_param_format_invalid", `${field} must be an object`);
			updated[field] = mergeMetadata(organization[field], patch);
			if (new TextEncoder().encode(JSON.stringify(updated[field])).length > CLERK_METADATA_LIMIT_BYTES) {
				return clerkError(
					422,
					"form_param_exceeds_allowed_size",
					"metadata exceeds the maximum allowed size of 8KB",
				);
			}
		}
		updated.updated_at = Date.now();
		organizations.set(id, updated);
		return c.json(updated);
	});

	// Close API
	app.get("/api/v1/me/", async (c) => {
		const apiKey = basicAuthUser(c.req.header("Authorization"));
		const target = apiKey?.split(".")[0] ?? "";
		calls.push({ service: "close", method: "GET", path: c.req.path, target });

		const faulted = await applyFault(faults.take(`close:${apiKey}`, "GET"), c.env?.connection);
		if (faulted) return faulted;
		if (!apiKey || !closeApiKeys.has(apiKey)) return c.json({ error: "Unauthorized" }, 401);
		return c.json({ id: "user_emulated", email: "dev@example.com", organizations: [] });
	});

	const bullhorn = createBullhornEmulator({ users: options.bullhornUsers ?? [] }).mount(app);

	// Control endpoints
	// One seed, or an array of them to create many organizations in one request (oldest first).
	app.post("/__emulator/organizations", async (c) => {
		const body = await c.req.json<OrganizationSeed | OrganizationSeed[]>();
		const create = (seed: OrganizationSeed) =>
			createOrganization(seed.id ?? `org_${crypto.randomUUID().replaceAll("-", "")}`, seed);
		return c.json(Array.isArray(body) ? body.map(create) : create(body), 201);
	});
	app.get("/__emulator/organizations/:id", (c) => {
		const organization = organizations.get(c.req.param("id"));
		return organization ? c.json(organization) : c.json({ error: "no such organization" }, 404);
	});
	// `?target=a&target=b`: the calls about any of them, in the order they were made.
	app.get("/__emulator/calls", (c) => {
		const targets = c.req.queries("target") ?? [];
		const about = targets.length === 0 ? calls : calls.filter((call) => targets.includes(call.target));
		return c.json({ calls: about });
	});
	app.post("/__emulator/faults", async (c) => {
		const {
			organization,
			closeApiKey,
			faults: queued,
		} = await c.req.json<{
			organization?: string;
			closeApiKey?: string;
			faults: Fault[];
		}>();
		faults.add(organization ?? `close:${closeApiKey}`, queued);
		return c.body(null, 204);
	});
	app.post("/__emulator/close-keys", async (c) => {
		const { apiKey } = await c.req.json<{ apiKey: string }>();
		closeApiKeys.add(apiKey);
		return c.body(null, 204);
	});
	// A key deleted in Close's settings (help.close.com "API Keys & OAuth": deleting a key "will immediately
	// cut off access" for any integration using it): from then on it is a key Close does not know, 401 above.
	app.delete("/__emulator/close-keys", async (c) => {
		const { apiKey } = await c.req.json<{ apiKey: string }>();
		closeApiKeys.delete(apiKey);
		return c.body(null, 204);
	});
	app.post("/__emulator/reset", (c) => {
		organizations.clear();
		calls.length = 0;
		faults.clear();
		limits.clear();
		bullhorn.reset();
		return c.body(null, 204);
	});

	return { fetch: app.fetch, organizations, calls };
}

export type Emulator = ReturnType<typeof createEmulator>;

function clerkError(status: number, code: string, message: string, retryAfter?: string): Response {
	return new Response(JSON.stringify({ errors: [{ code, message, long_message: message }] }), {
		status: status as ContentfulStatusCode,
		headers: {
			"Content-Type": "application/json",
			...(retryAfter === undefined ? {} : { "Retry-After": retryAfter }),
		},
	});
}

/** Clerk's 429: `too_many_requests`, with `Retry-After` in whole seconds until the window has room. */
function tooManyRequests(waitMs: number): Response {
	return clerkError(
		429,
		"too_many_requests",
		"Too many requests",
		String(Math.max(1, Math.ceil(waitMs / 1000))),
	);
}

/** Fixed 10 s windows per key (an organization's metadata writes, the instance's requests). */
class RateLimits {
	readonly #windows = new Map<string, { start: number; count: number }>();

	/** Counts one request against `limit`; the wait until the window has room when it is spent. */
	take(key: string, limit: number | undefined): number | undefined {
		if (limit === undefined) return undefined;
		const now = Date.now();
		let window = this.#windows.get(key);
		if (!window || now - window.start >= CLERK_RATE_WINDOW_MS) {
			window = { start: now, count: 0 };
			this.#windows.set(key, window);
		}
		if (window.count >= limit) return window.start + CLERK_RATE_WINDOW_MS - now;
		window.count++;
		return undefined;
	}

	clear(): void {
		this.#windows.clear();
	}
}

function basicAuthUser(header: string | undefined): string | undefined {
	const encoded = header?.match(/^Basic (.+)$/i)?.[1];
	if (!encoded) return undefined;
	try {
		return atob(encoded).split(":")[0];
	} catch {
		return undefined;
	}
}
