import { describe, expect, inject, it } from "vitest";
import { base64url, generateSigningKeyPair, importSigningKey, signToken } from "../emulator/tokens.ts";
import { errorBody, getSettings } from "./support/api.ts";
import { clerkCalls, newOrganization } from "./support/emulator.ts";
import { captureLogs } from "./support/logs.ts";
import { hs256Token, testClaims, testSigningKey, tokenFor } from "./support/tokens.ts";

const now = () => Math.floor(Date.now() / 1000);

/** Ways a caller can present something that is not a usable Clerk session for an organization. */
const unusable: [string, (orgId: string) => Promise<Record<string, string>>][] = [
	["no Authorization header", async () => ({})],
	["an empty Bearer", async () => ({ Authorization: "Bearer " })],
	["a Basic scheme", async () => ({ Authorization: `Basic ${btoa("user:pass")}` })],
	[
		"a session cookie instead of a header",
		async (orgId) => ({ Cookie: `__session=${await tokenFor(orgId)}` }),
	],
	["a token that is not a JWT", async () => ({ Authorization: "Bearer not-a-jwt" })],
	["garbage in JWT shape", async () => ({ Authorization: "Bearer abc.def.ghi" })],
	[
		"alg none",
		async (orgId) => ({
			Authorization: `Bearer ${base64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${base64url(JSON.stringify(testClaims({ orgId })))}.`,
		}),
	],
	[
		"HS256 signed with the public PEM as the secret",
		async (orgId) => ({
			Authorization: `Bearer ${await hs256Token(testClaims({ orgId }), inject("jwtPublicKey"))}`,
		}),
	],
	[
		"RS256 signed by another key",
		async (orgId) => {
			const other = await importSigningKey((await generateSigningKeyPair()).privateKeyPem);
			return { Authorization: `Bearer ${await signToken(other, testClaims({ orgId }))}` };
		},
	],
	[
		"an expired token",
		async (orgId) => ({
			Authorization: `Bearer ${await tokenFor(orgId, { claims: { exp: now() - 60, iat: now() - 120 } })}`,
		}),
	],
	[
		"a token not valid yet (nbf ahead)",
		async (orgId) => ({ Authorization: `Bearer ${await tokenFor(orgId, { claims: { nbf: now() + 120 } })}` }),
	],
	[
		"a token issued in the future (iat ahead)",
		async (orgId) => ({ Authorization: `Bearer ${await tokenFor(orgId, { claims: { iat: now() + 120 } })}` }),
	],
	[
		"a tampered payload (organization swapped, signature kept)",
		async (orgId) => {
			const [header, , signature] = (await tokenFor("org_victim")).split(".");
			const payload = base64url(JSON.stringify(testClaims({ orgId })));
			return { Authorization: `Bearer ${header}.${payload}.${signature}` };
		},
	],
	[
		"a token without sid (JWT template or machine token)",
		async (orgId) => ({ Authorization: `Bearer ${await tokenFor(orgId, { claims: { sid: undefined } })}` }),
	],
	[
		"a pending session (sts: pending)",
		async (orgId) => ({ Authorization: `Bearer ${await tokenFor(orgId, { claims: { sts: "pending" } })}` }),
	],
	[
		"a token for another front end (foreign azp)",
		async (orgId) => ({
			Authorization: `Bearer ${await tokenFor(orgId, { authorizedParty: "https://evil.example" })}`,
		}),
	],
	[
		"a token without azp while authorized parties are configured",
		async (orgId) => ({ Authorization: `Bearer ${await tokenFor(orgId, { claims: { azp: undefined } })}` }),
	],
	[
		"a v2 session without an active organization",
		async () => ({ Authorization: `Bearer ${await tokenFor(null)}` }),
	],
	[
		"a v1 session without an active organization",
		async () => ({ Authorization: `Bearer ${await tokenFor(null, { version: 1 })}` }),
	],
	[
		"a v2 organization claim without an id",
		async (orgId) => ({
			Authorization: `Bearer ${await tokenFor(orgId, { claims: { o: { rol: "admin", slg: "x" } } })}`,
		}),
	],
	[
		"a v2 token whose features claim Clerk cannot parse (fea without a scope)",
		async (orgId) => ({ Authorization: `Bearer ${await tokenFor(orgId, { claims: { fea: "crm" } })}` }),
	],
	[
		"a v2 token whose permission claims are not strings",
		async (orgId) => ({
			Authorization: `Bearer ${await tokenFor(orgId, { claims: { o: { id: orgId, rol: "admin", per: 1, fpm: 1 } } })}`,
		}),
	],
	[
		"a token without sub",
		async (orgId) => ({ Authorization: `Bearer ${await tokenFor(orgId, { claims: { sub: undefined } })}` }),
	],
];

describe("requests without a usable organization session", () => {
	it.each(unusable)(
		"%s → 400 Organization ID required, and Clerk is never called",
		async (_name, headersFor) => {
			const orgId = await newOrganization();
			const response = await getSettings({ headers: await headersFor(orgId) });
			expect(response.status).toBe(400);
			expect(response.body).toEqual(errorBody(response, "VALIDATION_ERROR", "Organization ID required"));
			expect(await clerkCalls(orgId)).toEqual([]);
			expect(await clerkCalls("org_victim")).toEqual([]);
		},
	);

	it("logs why the session was refused, for operators, without the token", async () => {
		const logs = captureLogs();
		const orgId = await newOrganization();
		const token = await tokenFor(orgId, { claims: { exp: now() - 60, iat: now() - 120 } });
		await getSettings({ token });
		expect(logs.entries()).toEqual([
			expect.objectContaining({
				msg: "request",
				status: 400,
				orgId: null,
				authFailure: "invalid-token: token-expired",
			}),
		]);
		expect(logs.lines.join("\n")).not.toContain(token.split(".")[2]);
	});
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
