import { describe, expect, inject, it } from "vitest";
import { base64url, generateSigningKeyPair, importSigningKey, signToken } from "../emulator/tokens.ts";
import { errorBody, getSettings } from "./support/api.ts";
import { clerkCalls, newOrganization } from "./support/emulator.ts";
import { captureLogs } from "./support/logs.ts";
import { hs256Token, testClaims, testSigningKey, tokenFor } from "./support/tokens.ts";

const now = () => Math.floor(Date.now() / 1000);
const RS256_HEADER = { alg: "RS256", kid: "ins_emulator", typ: "JWT" };

/** Signed with the instance's own private key, but RS384: the key is right, the algorithm is not. */
async function rs384Token(claims: Record<string, unknown>): Promise<string> {
	const rs384 = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-384" };
	const der = Uint8Array.from(atob(inject("jwtPrivateKey").replace(/-----[A-Z ]+-----|\s/g, "")), (char) =>
		char.charCodeAt(0),
	);
	const key = await crypto.subtle.importKey("pkcs8", der, rs384, false, ["sign"]);
	const input = `${base64url(JSON.stringify({ ...RS256_HEADER, alg: "RS384" }))}.${base64url(JSON.stringify(claims))}`;
	return `${input}.${base64url(await crypto.subtle.sign(rs384, key, new TextEncoder().encode(input)))}`;
}

/** Ways a caller can present something that is not a usable Clerk session for an organization. */
const unusable: [string, (orgId: string) => Promise<Record<string, string>>, string][] = [
	["no Authorization header", async () => ({}), "missing-bearer-token"],
	["an empty Bearer", async () => ({ Authorization: "Bearer " }), "missing-bearer-token"],
	["a Basic scheme", async () => ({ Authorization: `Basic ${btoa("user:pass")}` }), "missing-bearer-token"],
	[
		"a session cookie instead of a header",
		async (orgId) => ({ Cookie: `__session=${await tokenFor(orgId)}` }),
		"missing-bearer-token",
	],
	["a token that is not a JWT", async () => ({ Authorization: "Bearer not-a-jwt" }), "missing-bearer-token"],
	[
		"garbage in JWT shape",
		async () => ({ Authorization: "Bearer abc.def.ghi" }),
		"invalid-token: token-invalid",
	],
	[
		"alg none",
		async (orgId) => ({
			Authorization: `Bearer ${base64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${base64url(JSON.stringify(testClaims({ orgId })))}.`,
		}),
		"invalid-token: token-invalid-algorithm",
	],
	[
		"HS256 signed with the public PEM as the secret",
		async (orgId) => ({
			Authorization: `Bearer ${await hs256Token(testClaims({ orgId }), inject("jwtPublicKey"))}`,
		}),
		"invalid-token: token-invalid-algorithm",
	],
	[
		"RS256 signed by another key",
		async (orgId) => {
			const other = await importSigningKey((await generateSigningKeyPair()).privateKeyPem);
			return { Authorization: `Bearer ${await signToken(other, testClaims({ orgId }))}` };
		},
		"invalid-token: token-invalid-signature",
	],
	[
		"an expired token",
		async (orgId) => ({
			Authorization: `Bearer ${await tokenFor(orgId, { claims: { exp: now() - 60, iat: now() - 120 } })}`,
		}),
		"invalid-token: token-expired",
	],
	[
		"a token not valid yet (nbf ahead)",
		async (orgId) => ({ Authorization: `Bearer ${await tokenFor(orgId, { claims: { nbf: now() + 120 } })}` }),
		"invalid-token: token-not-active-yet",
	],
	[
		"a token issued in the future (iat ahead)",
		async (orgId) => ({ Authorization: `Bearer ${await tokenFor(orgId, { claims: { iat: now() + 120 } })}` }),
		"invalid-token: token-iat-in-the-future",
	],
	[
		"a tampered payload (organization swapped, signature kept)",
		async (orgId) => {
			const [header, , signature] = (await tokenFor("org_victim")).split(".");
			const payload = base64url(JSON.stringify(testClaims({ orgId })));
			return { Authorization: `Bearer ${header}.${payload}.${signature}` };
		},
		"invalid-token: token-invalid-signature",
	],
	[
		"a token without sid (JWT template or machine token)",
		async (orgId) => ({ Authorization: `Bearer ${await tokenFor(orgId, { claims: { sid: undefined } })}` }),
		"not-a-session-token",
	],
	[
		"a pending session (sts: pending)",
		async (orgId) => ({ Authorization: `Bearer ${await tokenFor(orgId, { claims: { sts: "pending" } })}` }),
		"session-not-active",
	],
	[
		"a token for another front end (foreign azp)",
		async (orgId) => ({
			Authorization: `Bearer ${await tokenFor(orgId, { authorizedParty: "https://evil.example" })}`,
		}),
		"invalid-token: token-invalid-authorized-parties",
	],
	[
		"a token without azp while authorized parties are configured",
		async (orgId) => ({ Authorization: `Bearer ${await tokenFor(orgId, { claims: { azp: undefined } })}` }),
		"invalid-token: token-invalid-authorized-parties",
	],
	[
		"a v2 session without an active organization",
		async () => ({ Authorization: `Bearer ${await tokenFor(null)}` }),
		"no-active-organization",
	],
	[
		"a v1 session without an active organization",
		async () => ({ Authorization: `Bearer ${await tokenFor(null, { version: 1 })}` }),
		"no-active-organization",
	],
	[
		"a v2 organization claim without an id",
		async (orgId) => ({
			Authorization: `Bearer ${await tokenFor(orgId, { claims: { o: { rol: "admin", slg: "x" } } })}`,
		}),
		"no-active-organization",
	],
	[
		"a v2 token whose features claim Clerk cannot parse (fea without a scope)",
		async (orgId) => ({ Authorization: `Bearer ${await tokenFor(orgId, { claims: { fea: "crm" } })}` }),
		"invalid-token: unreadable-claims",
	],
	[
		"a v2 token whose permission claims are not strings",
		async (orgId) => ({
			Authorization: `Bearer ${await tokenFor(orgId, { claims: { o: { id: orgId, rol: "admin", per: 1, fpm: 1 } } })}`,
		}),
		"invalid-token: unreadable-claims",
	],
	[
		"a token without sub",
		async (orgId) => ({ Authorization: `Bearer ${await tokenFor(orgId, { claims: { sub: undefined } })}` }),
		"invalid-token: token-verification-failed",
	],
	[
		"a token without exp",
		async (orgId) => ({ Authorization: `Bearer ${await tokenFor(orgId, { claims: { exp: undefined } })}` }),
		"invalid-token: token-verification-failed",
	],
	[
		"a token in Clerk's machine-token category",
		async (orgId) => ({
			Authorization: `Bearer ${await signToken(await testSigningKey(), testClaims({ orgId }), { ...RS256_HEADER, cat: "cl_B7d4PD333AAA" })}`,
		}),
		"invalid-token: token-invalid",
	],
	[
		"a header type other than JWT",
		async (orgId) => ({
			Authorization: `Bearer ${await signToken(await testSigningKey(), testClaims({ orgId }), { ...RS256_HEADER, typ: "at+jwt" })}`,
		}),
		"invalid-token: token-invalid",
	],
	[
		"RS384 signed with the instance's own key (Clerk session tokens are RS256)",
		async (orgId) => ({ Authorization: `Bearer ${await rs384Token(testClaims({ orgId }))}` }),
		// Clerk's reason: verifyToken imports the PEM as an RS256 key, so the RS384 signature does not verify.
		"invalid-token: token-verification-failed",
	],
	// Signed by the instance, but an organization id that is no Clerk id would become part of a Clerk
	// URL: `/v1/organizations/../metadata` is another Backend API path.
	...[".", "..", "org_x/y", "%2e%2e", "org_..", "org_a%2Fb", "org_"].map(
		(orgId): [string, (orgId: string) => Promise<Record<string, string>>, string] => [
			`a signed token whose organization id is ${JSON.stringify(orgId)}`,
			async () => ({ Authorization: `Bearer ${await tokenFor(orgId)}` }),
			"malformed-organization-id",
		],
	),
];

describe("requests without a usable organization session", () => {
	it.each(unusable)(
		"%s → 400 Organization ID required, Clerk never called, the reason logged",
		async (_name, headersFor, authFailure) => {
			const logs = captureLogs();
			const orgId = await newOrganization();
			const headers = await headersFor(orgId);
			const response = await getSettings({ headers });
			expect(response.status).toBe(400);
			expect(response.body).toEqual(errorBody(response, "VALIDATION_ERROR", "Organization ID required"));
			expect(await clerkCalls(orgId)).toEqual([]);
			expect(await clerkCalls("org_victim")).toEqual([]);
			// Why, for operators — the reasons are Clerk's TokenVerificationError reasons — and never the token.
			expect(logs.entries()).toEqual([
				{
					level: "info",
					msg: "request",
					method: "GET",
					path: "/api/v1/operations/crm/settings",
					status: 400,
					ms: expect.any(Number),
					requestId: response.headers.get("X-Request-Id"),
					orgId: null,
					authFailure,
				},
			]);
			const credential = (headers.Authorization ?? headers.Cookie ?? "").split(/[ =]/).pop() ?? "";
			if (credential.length > 20) expect(logs.lines.join("\n")).not.toContain(credential);
		},
	);
});

describe("usable sessions", () => {
	it("accepts a token within Clerk's 5 s clock-skew allowance", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId, { claims: { exp: now() - 2 } });
		expect((await getSettings({ token })).status).toBe(200);
	});

	it("accepts the Bearer scheme in any letter case", async () => {
		const orgId = await newOrganization();
		const response = await getSettings({ headers: { Authorization: `bearer ${await tokenFor(orgId)}` } });
		expect(response.status).toBe(200);
	});

	it("accepts any azp when CLERK_AUTHORIZED_PARTIES is empty", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId, { authorizedParty: "https://elsewhere.example" });
		const response = await getSettings({ token, env: { CLERK_AUTHORIZED_PARTIES: "" } });
		expect(response.status).toBe(200);
	});

	it("signs with the real test key, so verification really runs", async () => {
		expect(await testSigningKey()).toMatchObject({
			type: "private",
			algorithm: { name: "RSASSA-PKCS1-v1_5" },
		});
	});
});

describe("CLERK_JWT_KEY is checked when the configuration is parsed, not on a request", () => {
	it("a key of the right header and trailer but 3 bytes short → 500 and a configuration error, not a 400 for the token", async () => {
		const body = inject("jwtPublicKey").replace(/-----[A-Z ]+-----|\s/g, "");
		const truncated = `${body.slice(0, 100)}${body.slice(104)}`;
		const logs = captureLogs();
		const response = await getSettings({
			token: await tokenFor("org_any"),
			env: { CLERK_JWT_KEY: truncated },
		});
		expect(response.status).toBe(500);
		expect(response.body).toEqual(errorBody(response, "INTERNAL_ERROR", "Internal server error"));
		expect(logs.entries()[0]).toEqual({
			level: "error",
			msg: "configuration error",
			problem: "CLERK_JWT_KEY is not the PEM public key of a Clerk instance (2048-bit RSA)",
			requestId: response.headers.get("X-Request-Id"),
		});
	});
});
