import { verifyToken } from "@clerk/backend";
import { __experimental_JWTPayloadToAuthObjectProperties as toAuthObject } from "@clerk/shared/jwtPayloadParser";
import type { JwtPayload } from "@clerk/shared/types";
import type { Config } from "../config/config.ts";

/** Who is calling, as the verified session token says. The organization comes from nowhere else. */
export interface Session {
	userId: string;
	sessionId: string;
	orgId: string;
	/** Role key with the `org:` prefix, e.g. `org:admin`; undefined when the token carries none. */
	orgRole: string | undefined;
}

/** Why a request has no usable session; logged, never sent (the client only sees the reference's 400). */
export type AuthFailure =
	| "missing-bearer-token"
	| "invalid-token"
	| "not-a-session-token"
	| "session-not-active"
	| "no-active-organization"
	| "malformed-organization-id";

export type AuthResult = { ok: true; session: Session } | { ok: false; reason: AuthFailure; detail?: string };

const BEARER = /^Bearer ([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)$/i;

/**
 * The shape of a Clerk organization id: `org_` and base62 characters (Clerk's ids are a type prefix,
 * an underscore and a random base62 string, e.g. `org_2Z9xK…`, as the Backend API reference shows).
 * The id becomes part of a Clerk URL, so nothing else may pass: `.`, `..`, `/` or `%2e` would make
 * the service call another Backend API path with the instance's secret key.
 */
const CLERK_ORGANIZATION_ID = /^org_[A-Za-z0-9]{1,64}$/;

/** Whether `orgId` has the shape of a Clerk organization id, and so may become part of a Clerk URL. */
export function isClerkOrganizationId(orgId: string): boolean {
	return CLERK_ORGANIZATION_ID.test(orgId);
}

/**
 * Verifies a Clerk session token from an `Authorization` header without any network call: Clerk's own
 * `verifyToken` with `jwtKey` (the signature against `CLERK_JWT_KEY`, algorithm, expiry, not-before,
 * `azp`, machine tokens refused), then the session claims Clerk's own parser reads for v1 and v2
 * tokens. `CLERK_JWT_KEY`'s shape was checked when the configuration was parsed, so a refusal here is
 * the token's fault.
 *
 * @example
 * const result = await authenticate(c.req.header("Authorization"), config);
 * if (result.ok) result.session.orgId; // "org_2abc…"
 */
export async function authenticate(authorization: string | undefined, config: Config): Promise<AuthResult> {
	const token = authorization?.trim().match(BEARER)?.[1];
	if (!token) return { ok: false, reason: "missing-bearer-token" };

	let claims: JwtPayload;
	try {
		// With `jwtKey`, verifyToken never fetches JWKS: it verifies against the PEM, locally.
		claims = await verifyToken(token, {
			jwtKey: config.clerkJwtKey,
			authorizedParties: config.authorizedParties,
		});
	} catch (error) {
		const reason = (error as { reason?: unknown }).reason;
		return { ok: false, reason: "invalid-token", ...(typeof reason === "string" ? { detail: reason } : {}) };
	}

	// JWT templates and machine tokens are signed by the same key but carry no session.
	if (typeof claims.sid !== "string" || claims.sid === "")
		return { ok: false, reason: "not-a-session-token" };

	let auth: ReturnType<typeof toAuthObject>;
	try {
		auth = toAuthObject(claims);
	} catch {
		// Clerk's parser throws on feature or permission claims it cannot read (`fea`, `o.per`, `o.fpm`):
		// such a token is no usable session, not a server error.
		return { ok: false, reason: "invalid-token", detail: "unreadable-claims" };
	}
	// A pending session has signed in but still owes a step (e.g. choosing an organization).
	if (auth.sessionStatus !== null && auth.sessionStatus !== "active") {
		return { ok: false, reason: "session-not-active" };
	}
	if (typeof auth.orgId !== "string" || auth.orgId === "")
		return { ok: false, reason: "no-active-organization" };
	if (!isClerkOrganizationId(auth.orgId)) return { ok: false, reason: "malformed-organization-id" };

	return {
		ok: true,
		session: {
			userId: auth.userId,
			sessionId: auth.sessionId,
			orgId: auth.orgId,
			orgRole: typeof auth.orgRole === "string" ? auth.orgRole : undefined,
		},
	};
}

/** Whether `session` may change the organization's CRM settings under `CRM_WRITE_ROLES`. */
export function canWrite(session: Session, writeRoles: Config["writeRoles"]): boolean {
	if (writeRoles === "*") return true;
	return session.orgRole !== undefined && writeRoles.includes(session.orgRole);
}
