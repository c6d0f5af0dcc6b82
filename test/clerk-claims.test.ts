/**
 * Pins the output of Clerk's `__experimental_` claim parser (@clerk/shared, pinned to an exact version in
 * package.json), which the service reads the session's organization and role from. An experimental
 * export may change in any release: when an upgrade changes what it returns for these tokens, this
 * fails before a request is answered with another organization or role.
 */
import { __experimental_JWTPayloadToAuthObjectProperties as toAuthObject } from "@clerk/shared/jwtPayloadParser";
import type { JwtPayload } from "@clerk/shared/types";
import { describe, expect, it } from "vitest";

const REGISTERED = {
	azp: "https://app.example.com",
	exp: 1_900_000_060,
	iat: 1_900_000_000,
	nbf: 1_899_999_995,
};

describe("Clerk's claim parser, as the service uses it", () => {
	it("reads a v2 token's `o` claim: organization, role with the org: prefix, session status", () => {
		const claims = {
			...REGISTERED,
			v: 2,
			sub: "user_1",
			sid: "sess_1",
			sts: "active",
			fva: [0, -1],
			o: { id: "org_1", rol: "admin", slg: "acme", per: "read,manage", fpm: "3" },
			fea: "o:crm",
		} as unknown as JwtPayload;
		expect(toAuthObject(claims)).toEqual({
			actor: undefined,
			factorVerificationAge: [0, -1],
			orgId: "org_1",
			orgPermissions: ["org:crm:read", "org:crm:manage"],
			orgRole: "org:admin",
			orgSlug: "acme",
			sessionClaims: claims,
			sessionId: "sess_1",
			sessionStatus: "active",
			userId: "user_1",
		});
	});

	it("reads a v1 token's org_id, org_role and org_permissions", () => {
		const claims = {
			...REGISTERED,
			sub: "user_1",
			sid: "sess_1",
			org_id: "org_1",
			org_role: "org:member",
			org_slug: "acme",
			org_permissions: ["org:crm:read"],
		} as unknown as JwtPayload;
		expect(toAuthObject(claims)).toEqual({
			actor: undefined,
			factorVerificationAge: null,
			orgId: "org_1",
			orgPermissions: ["org:crm:read"],
			orgRole: "org:member",
			orgSlug: "acme",
			sessionClaims: claims,
			sessionId: "sess_1",
			sessionStatus: null,
			userId: "user_1",
		});
	});
});
