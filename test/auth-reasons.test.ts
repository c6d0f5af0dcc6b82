import { describe, expect, inject, it } from "vitest";
import { base64url, generateSigningKeyPair, importSigningKey, signToken } from "../emulator/tokens.ts";
import { type ApiResponse, errorBody, getSettings } from "./support/api.ts";
import { type CapturedLogs, captureLogs } from "./support/logs.ts";
import { testClaims, testSigningKey, tokenFor } from "./support/tokens.ts";

// Why each token is refused, as the request log says. The reasons are Clerk's, pinned when the
// service still verified with Clerk's `verifyToken`, so that the verifier that replaced it (the key
// imported once, src/auth/session-token.ts) provably makes the same decisions for the same reasons.
// test/auth.test.ts covers what the caller sees for the common cases.

const nowSeconds = () => Math.floor(Date.now() / 1000);
const RS256_HEADER = { alg: "RS256", kid: "ins_emulator", typ: "JWT" };

function expectRefused(response: ApiResponse, logs: CapturedLogs, authFailure: string | RegExp) {
	expect(response.status).toBe(400);
	expect(response.body).toEqual(errorBody(response, "VALIDATION_ERROR", "Organization ID required"));
	const line = logs.entries().find((entry) => entry.requestId === response.headers.get("X-Request-Id"));
	expect(line?.authFailure).toEqual(
		typeof authFailure === "string" ? authFailure : expect.stringMatching(authFailure),
	);
}

/** A token for `orgId` signed with the test key, with `claims` changed and `header` replaced. */
async function signed(orgId: string, claims: Record<string, unknown> = {}, header = RS256_HEADER) {
	return signToken(await testSigningKey(), testClaims({ orgId, claims }), header);
}

async function signedWith(algorithm: { name: string; hash?: string }, header: object, key: CryptoKey) {
	const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(testClaims({ orgId: "org_x" })))}`;
	const signature = await crypto.subtle.sign(algorithm, key, new TextEncoder().encode(input));
	return `${input}.${base64url(signature)}`;
}

const refusals: [string, () => Promise<string>, string][] = [
	[
		"signed by another key",
		async () =>
			signToken(
				await importSigningKey((await generateSigningKeyPair()).privateKeyPem),
				testClaims({ orgId: "org_x" }),
			),
		"invalid-token: token-invalid-signature",
	],
	[
		"claims changed after signing",
		async () => {
			const [header, , signature] = (await tokenFor("org_victim")).split(".");
			return `${header}.${base64url(JSON.stringify(testClaims({ orgId: "org_attacker" })))}.${signature}`;
		},
		"invalid-token: token-invalid-signature",
	],
	[
		'alg "none"',
		async () =>
			`${base64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${base64url(JSON.stringify(testClaims({ orgId: "org_x" })))}.`,
		"invalid-token: token-invalid-algorithm",
	],
	[
		"HS256 with the public key as the HMAC secret",
		async () => {
			const hmac = { name: "HMAC", hash: "SHA-256" };
			const secret = new TextEncoder().encode(inject("jwtPublicKey"));
			const key = await crypto.subtle.importKey("raw", secret, hmac, false, ["sign"]);
			return signedWith(hmac, { alg: "HS256", typ: "JWT" }, key);
		},
		"invalid-token: token-invalid-algorithm",
	],
	[
		"expired",
		() => signed("org_x", { exp: nowSeconds() - 60, iat: nowSeconds() - 120 }),
		"invalid-token: token-expired",
	],
	["without exp", () => signed("org_x", { exp: undefined }), "invalid-token: token-verification-failed"],
	[
		"not valid yet (nbf)",
		() => signed("org_x", { nbf: nowSeconds() + 60 }),
		"invalid-token: token-not-active-yet",
	],
	[
		"issued in the future (iat)",
		() => signed("org_x", { iat: nowSeconds() + 60 }),
		"invalid-token: token-iat-in-the-future",
	],
	["without sub", () => signed("org_x", { sub: undefined }), "invalid-token: token-verification-failed"],
	[
		"in the machine-token category",
		() => signed("org_x", {}, { ...RS256_HEADER, cat: "cl_B7d4PD333AAA" } as typeof RS256_HEADER),
		"invalid-token: token-invalid",
	],
	[
		"with a header type other than JWT",
		() => signed("org_x", {}, { ...RS256_HEADER, typ: "at+jwt" }),
		"invalid-token: token-invalid",
	],
	[
		"for another front end (azp)",
		() => signed("org_x", { azp: "https://evil.example.com" }),
		"invalid-token: token-invalid-authorized-parties",
	],
	[
		"without azp",
		() => signed("org_x", { azp: undefined }),
		"invalid-token: token-invalid-authorized-parties",
	],
	["without sid (a JWT template)", () => signed("org_x", { sid: undefined }), "not-a-session-token"],
	["of a pending session", () => signed("org_x", { sts: "pending" }), "session-not-active"],
	["without an active organization (v2)", () => tokenFor(null), "no-active-organization"],
	["without an active organization (v1)", () => tokenFor(null, { version: 1 }), "no-active-organization"],
];

describe("why a token is refused", () => {
	it.each(refusals)("a token %s", async (_name, token, authFailure) => {
		const logs = captureLogs();
		expectRefused(await getSettings({ token: await token() }), logs, authFailure);
	});

	it("a token signed RS384 with the instance's own key (Clerk session tokens are RS256)", async () => {
		const logs = captureLogs();
		const rs384 = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-384" };
		const der = Uint8Array.from(atob(inject("jwtPrivateKey").replace(/-----[A-Z ]+-----|\s/g, "")), (char) =>
			char.charCodeAt(0),
		);
		const key = await crypto.subtle.importKey("pkcs8", der, rs384, false, ["sign"]);
		const token = await signedWith(rs384, { ...RS256_HEADER, alg: "RS384" }, key);
		// verifyToken refused it as token-verification-failed, the service as token-invalid-algorithm.
		expectRefused(await getSettings({ token }), logs, /^invalid-token: token-/);
	});
});
