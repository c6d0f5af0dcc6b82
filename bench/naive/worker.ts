/**
 * The benchmark's reference point: the same API (GET, POST, DELETE /api/v1/operations/crm/settings,
 * same bodies and error shape) built the way a typical team builds it with Clerk and Hono, following
 * each library's README. Bench only: nothing in src/ imports it and it never reaches the deployed
 * Worker; `npm run bench` runs it under the real `wrangler dev` beside the project. Its packages are
 * bench/'s own (`bench/package.json`, pinned exactly, in `bench/node_modules`): wrangler bundles this
 * entry from its folder, so every import here resolves there, never to the product's node_modules.
 *
 * - Authentication: Clerk's Hono middleware, `clerkMiddleware` of `@hono/clerk-auth`, which creates a
 *   Clerk Backend client (`createClerkClient` of `@clerk/backend`) and calls its `authenticateRequest`
 *   on every request. Networkless: `jwtKey` is passed, so the token is checked against the PEM and
 *   JWKS is never fetched.
 * - Clerk: the client the middleware put in the context (`c.get("clerk")`). GET reads the organization
 *   from Clerk on every request (`organizations.getOrganization`); POST and DELETE write its private
 *   metadata (`organizations.updateOrganizationMetadata`). No cache, no write limit.
 * - Validation: classic zod (`import { z } from "zod"`) with `zValidator` of `@hono/zod-validator`.
 * - Logging: none on success, `console.error` for unexpected failures (Hono's default error handling
 *   with a JSON body), as most teams ship it. No `logger()`: under `wrangler dev` a log line per
 *   request costs a large share of throughput, and the project logs no line for a successful read
 *   either, so leaving it out keeps the comparison about the architecture (and flatters this build).
 */

import { DurableObject } from "cloudflare:workers";
import { clerkMiddleware, getAuth } from "@hono/clerk-auth";
import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono";
import { z } from "zod";

interface Bindings {
	CLERK_SECRET_KEY: string;
	CLERK_PUBLISHABLE_KEY: string;
	CLERK_JWT_KEY: string;
	CLERK_API_URL: string;
	CLERK_AUTHORIZED_PARTIES: string;
	CLOSE_API_URL: string;
}

interface CrmRecord {
	provider: "close" | "bullhorn";
	apiKey: string;
	apiKeyLast4: string | null;
	apiKeyId: string | null;
	connectedAt: string;
	connectedBy: string | null;
	verifiedAt: string | null;
}

const SETTINGS_PATH = "/api/v1/operations/crm/settings";

const saveSettingsSchema = z
	.object({
		provider: z.enum(["close", "bullhorn"]),
		apiKey: z.string().trim().min(1).max(2048),
		verify: z.boolean().optional(),
	})
	.strict();

const app = new Hono<{ Bindings: Bindings }>();

// The middleware reads its options from the request's env (Workers bindings are per request).
app.use(SETTINGS_PATH, (c, next) =>
	clerkMiddleware({
		secretKey: c.env.CLERK_SECRET_KEY,
		publishableKey: c.env.CLERK_PUBLISHABLE_KEY,
		apiUrl: c.env.CLERK_API_URL,
		jwtKey: c.env.CLERK_JWT_KEY,
		authorizedParties: c.env.CLERK_AUTHORIZED_PARTIES ? c.env.CLERK_AUTHORIZED_PARTIES.split(",") : [],
	})(c, next),
);

const error = (message: string, code: string, details?: unknown) => ({
	error: message,
	code,
	...(details === undefined ? {} : { details }),
});

app.get(SETTINGS_PATH, async (c) => {
	const auth = getAuth(c);
	if (!auth?.orgId) return c.json(error("Organization ID required", "VALIDATION_ERROR"), 400);
	const organization = await c.get("clerk").organizations.getOrganization({ organizationId: auth.orgId });
	const crm = organization.privateMetadata.crm as CrmRecord | null | undefined;
	if (!crm) return c.json({ connected: false, provider: null, apiKeyMasked: null });
	return c.json({
		connected: true,
		provider: crm.provider,
		connectedAt: crm.connectedAt,
		apiKeyMasked: crm.apiKeyLast4 ? `${"*".repeat(20)}${crm.apiKeyLast4}` : "*".repeat(24),
		...(crm.apiKeyId ? { apiKeyId: crm.apiKeyId } : {}),
		...(crm.connectedBy ? { connectedBy: crm.connectedBy } : {}),
		...(crm.verifiedAt ? { verifiedAt: crm.verifiedAt } : {}),
	});
});

app.post(
	SETTINGS_PATH,
	zValidator("json", saveSettingsSchema, (result, c) => {
		if (!result.success) {
			const details = result.error.issues.map((issue) => ({
				path: issue.path.join("."),
				message: issue.message,
			}));
			return c.json(error("Request body is invalid", "VALIDATION_ERROR", details), 400);
		}
	}),
	async (c) => {
		const auth = getAuth(c);
		if (!auth?.orgId) return c.json(error("Organization ID required", "VALIDATION_ERROR"), 400);
		if (auth.orgRole !== "org:admin") {
			return c.json(error("Your role in this organization cannot change CRM settings", "FORBIDDEN"), 403);
		}
		const { provider, apiKey, verify } = c.req.valid("json");
		if (verify) {
			if (provider === "bullhorn") {
				return c.json(error("Bullhorn credentials cannot be checked", "VALIDATION_ERROR"), 400);
			}
			const me = await fetch(`${c.env.CLOSE_API_URL}/api/v1/me/`, {
				headers: { Authorization: `Basic ${btoa(`${apiKey}:`)}` },
			});
			if (!me.ok) return c.json(error("Close rejected the API key", "VALIDATION_ERROR"), 400);
		}
		const connectedAt = new Date().toISOString();
		const crm: CrmRecord = {
			provider,
			apiKey,
			apiKeyLast4: apiKey.length >= 16 ? apiKey.slice(-4) : null,
			apiKeyId: provider === "close" ? (/^(api_[A-Za-z0-9]+)\./.exec(apiKey)?.[1] ?? null) : null,
			connectedAt,
			connectedBy: auth.userId,
			verifiedAt: verify ? connectedAt : null,
		};
		await c.get("clerk").organizations.updateOrganizationMetadata(auth.orgId, { privateMetadata: { crm } });
		return c.json({ success: true, provider, connectedAt, ...(verify ? { verified: true } : {}) });
	},
);

app.delete(SETTINGS_PATH, async (c) => {
	const auth = getAuth(c);
	if (!auth?.orgId) return c.json(error("Organization ID required", "VALIDATION_ERROR"), 400);
	if (auth.orgRole !== "org:admin") {
		return c.json(error("Your role in this organization cannot change CRM settings", "FORBIDDEN"), 403);
	}
	await c
		.get("clerk")
		.organizations.updateOrganizationMetadata(auth.orgId, { privateMetadata: { crm: null } });
	return c.json({ success: true, disconnected: true });
});

app.get("/api/v1/health", (c) => c.json({ status: "ok" }));

app.notFound((c) => c.json(error(`No such endpoint: ${c.req.method} ${c.req.path}`, "NOT_FOUND"), 404));
app.onError((err, c) => {
	console.error(err);
	return c.json(error("Internal error", "INTERNAL_ERROR"), 500);
});

export default app;

/**
 * `wrangler dev` runs this file with the project's wrangler.toml (the entry replaces `main`), which
 * binds `CRM_OWNER` and `KEY_ROTATION` to classes of these names and refuses an entry that does not
 * export them. The naive build never uses them: empty classes, never instantiated, cost nothing.
 */
export class CrmRecordOwner extends DurableObject {}
export class KeyRotationState extends DurableObject {}
