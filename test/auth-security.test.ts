import { describe, expect, inject, it } from "vitest";
import { base64url, generateSigningKeyPair, importSigningKey, signToken } from "../emulator/tokens.ts";
import { type ApiResponse, errorBody, getSettings } from "./support/api.ts";
import { newOrganization } from "./support/emulator.ts";
import { authFailureOf, captureLogs } from "./support/logs.ts";
import { testClaims, testSigningKey, tokenFor } from "./support/tokens.ts";

captureLogs();

const NOT_CONNECTED = { connected: false, provider: null, apiKeyMasked: null };
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Every refused session answers the reference's 400; the log line says why it was refused. */
function expectRefused(response: ApiResponse, authFailure: string) {
	expect(response.status).toBe(400);
	expect(response.body).toEqual(errorBody(response, "VALIDATION_ERROR", "Organization ID required"));
	expect(authFailureOf(response)).toBe(authFailure);
}

async function getWithToken(token: string) {
	return getSettings({ headers: { Authorization: `Bearer ${token}` } });
}

/** A token for `orgId` signed with the test key, with `claims` changed and `header` replaced. */
async function signedToken(
	orgId: string,
	claims: Record<string, unknown> = {},
	header: Record<string, unknown> = { alg: "RS256", kid: "ins_emulator", typ: "JWT" },
) {
	return signToken(await testSigningKey(), testClaims({ orgId, claims }), header);
}

function unsignedToken(header: Record<string, unknown>, claims: Record<string, unknown>, signature = "") {
	return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}.${signature}`;
}

describe("requests without a bearer token", () => {
	it("refuses a request with no Authorization header", async () => {
		expectRefused(await getSettings(), "missing-bearer-token");
	});

	it("refuses another scheme and a token that is not a JWT", async () => {
		const token = await tokenFor("org_scheme");
		expectRefused(
			await getSettings({ headers: { Authorization: `Basic ${token}` } }),
			"missing-bearer-token",
		);
		expectRefused(await getWithToken("not-a-jwt"), "missing-bearer-token");
	});
});

describe("tokens whose signature cannot be trusted", () => {
	it("refuses a token signed by another key", async () => {
		const otherKeys = await generateSigningKeyPair();
		const token = await signToken(
			await importSigningKey(otherKeys.privateKeyPem),
			testClaims({ orgId: "org_other_key" }),
		);
		expectRefused(await getWithToken(token), "invalid-token: token-invalid-signature");
	});

	it("refuses a token whose claims were changed after signing", async () => {
		const [header, , signature] = (await tokenFor("org_victim")).split(".");
		const forgedClaims = base64url(JSON.stringify(testClaims({ orgId: "org_attacker" })));
		expectRefused(
			await getWithToken(`${header}.${forgedClaims}.${signature}`),
			"invalid-token: token-invalid-signature",
		);
	});

	it('refuses alg "none"', async () => {
		const token = unsignedToken({ alg: "none", typ: "JWT" }, testClaims({ orgId: "org_none" }));
		expectRefused(await getWithToken(token), "invalid-token: token-invalid-algorithm");
	});

	it("refuses HS256 signed with the public key as the HMAC secret (algorithm confusion)", async () => {
		const header = { alg: "HS256", typ: "JWT" };
		const claims = testClaims({ orgId: "org_hs256" });
		const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
		const secret = await crypto.subtle.importKey(
			"raw",
			new TextEncoder().encode(inject("jwtPublicKey")),
			{ name: "HMAC", hash: "SHA-256" },
			false,
			["sign"],
		);
		const signature = await crypto.subtle.sign("HMAC", secret, new TextEncoder().encode(input));
		expectRefused(
			await getWithToken(`${input}.${base64url(signature)}`),
			"invalid-token: token-invalid-algorithm",
		);
	});

	it("refuses RS384, even signed with the instance's own key (Clerk session tokens are RS256)", async () => {
		const header = { alg: "RS384", kid: "ins_emulator", typ: "JWT" };
		const claims = testClaims({ orgId: "org_rs384" });
		const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
		const der = Uint8Array.from(atob(inject("jwtPrivateKey").replace(/-----[A-Z ]+-----|\s/g, "")), (char) =>
			char.charCodeAt(0),
		);
		const rs384 = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-384" };
		const key = await crypto.subtle.importKey("pkcs8", der, rs384, false, ["sign"]);
		const signature = await crypto.subtle.sign(rs384, key, new TextEncoder().encode(input));
		const response = await getWithToken(`${input}.${base64url(signature)}`);
		expect(response.status).toBe(400);
		expect(response.body).toEqual(errorBody(response, "VALIDATION_ERROR", "Organization ID required"));
		expect(authFailureOf(response)).toMatch(/^invalid-token: /);
	});
});

describe("tokens outside their validity window", () => {
	it("refuses an expired token", async () => {
		const token = await signedToken("org_expired", { exp: nowSeconds() - 60, iat: nowSeconds() - 120 });
		expectRefused(await getWithToken(token), "invalid-token: token-expired");
	});

	it("refuses a token without exp", async () => {
		const token = await signedToken("org_no_exp", { exp: undefined });
		expectRefused(await getWithToken(token), "invalid-token: token-verification-failed");
	});

	it("refuses a token that is not valid yet (nbf) or issued in the future (iat)", async () => {
		const later = nowSeconds() + 60;
		expectRefused(
			await getWithToken(await signedToken("org_nbf", { nbf: later })),
			"invalid-token: token-not-active-yet",
		);
		expectRefused(
			await getWithToken(await signedToken("org_iat", { iat: later })),
			"invalid-token: token-iat-in-the-future",
		);
	});

	it("accepts a token that expired less than Clerk's 5 s clock skew ago", async () => {
		const orgId = await newOrganization();
		const token = await signedToken(orgId, { exp: nowSeconds() - 2 });
		const response = await getWithToken(token);
		expect(response.status).toBe(200);
		expect(response.body).toEqual(NOT_CONNECTED);
	});
});

describe("tokens that carry no active session", () => {
	it("refuses a token without sid (JWT templates, machine tokens)", async () => {
		const token = await signedToken("org_template", { sid: undefined });
		expectRefused(await getWithToken(token), "not-a-session-token");
	});

	it("refuses a token without sub", async () => {
		const token = await signedToken("org_no_sub", { sub: undefined });
		expectRefused(await getWithToken(token), "invalid-token: token-verification-failed");
	});

	it("refuses a token in the machine-token category", async () => {
		const token = await signedToken(
			"org_m2m",
			{},
			{ alg: "RS256", kid: "ins_emulator", cat: "cl_B7d4PD333AAA" },
		);
		expectRefused(await getWithToken(token), "invalid-token: token-invalid");
	});

	it("refuses a header type other than JWT", async () => {
		const token = await signedToken("org_typ", {}, { alg: "RS256", kid: "ins_emulator", typ: "at+jwt" });
		expectRefused(await getWithToken(token), "invalid-token: token-invalid");
	});

	it('refuses a pending session (sts: "pending")', async () => {
		const token = await signedToken("org_pending", { sts: "pending" });
		expectRefused(await getWithToken(token), "session-not-active");
	});
});

describe("authorized parties (CLERK_AUTHORIZED_PARTIES)", () => {
	it("refuses a token for another front end, or for none", async () => {
		expectRefused(
			await getWithToken(await signedToken("org_azp", { azp: "https://evil.example.com" })),
			"invalid-token: token-invalid-authorized-parties",
		);
		expectRefused(
			await getWithToken(await signedToken("org_no_azp", { azp: undefined })),
			"invalid-token: token-invalid-authorized-parties",
		);
	});
});

describe("the active organization", () => {
	it("refuses a session without one, in v2 and in v1 tokens", async () => {
		expectRefused(await getWithToken(await tokenFor(null)), "no-active-organization");
		expectRefused(await getWithToken(await tokenFor(null, { version: 1 })), "no-active-organization");
	});

	it("reads the organization from a v1 token", async () => {
		const orgId = await newOrganization();
		const response = await getWithToken(await tokenFor(orgId, { version: 1, role: "org:member" }));
		expect(response.status).toBe(200);
		expect(response.body).toEqual(NOT_CONNECTED);
	});
});

describe("CLERK_JWT_KEY as people paste it", () => {
	it("accepts the PEM with literal \\n sequences and the bare base64 body", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId);
		const pem = inject("jwtPublicKey").trim();
		const escaped = pem.replaceAll("\n", "\\n");
		const bare = pem.replace(/-----[A-Z ]+-----|\s/g, "");
		for (const CLERK_JWT_KEY of [escaped, bare]) {
			const response = await getSettings({ token, env: { CLERK_JWT_KEY } });
			expect(response.status).toBe(200);
			expect(response.body).toEqual(NOT_CONNECTED);
		}
	});
});
