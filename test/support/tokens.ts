/** Session tokens for the tests, signed with the run's test key so the real verification runs. */
import { inject } from "vitest";
import {
	base64url,
	importSigningKey,
	type SessionTokenOptions,
	sessionClaims,
	signToken,
} from "../../emulator/tokens.ts";
import { TEST_FRONTEND_ORIGIN } from "../constants.ts";

let signingKey: Promise<CryptoKey> | undefined;

export function testSigningKey(): Promise<CryptoKey> {
	signingKey ??= importSigningKey(inject("jwtPrivateKey"));
	return signingKey;
}

/** Claims of a valid session token for the test front end; override any of them. */
export function testClaims(options: SessionTokenOptions = {}): Record<string, unknown> {
	return sessionClaims({ authorizedParty: TEST_FRONTEND_ORIGIN, ...options });
}

/** A valid session token (v2 unless told otherwise) for `orgId` with `role` (default `org:admin`). */
export async function tokenFor(orgId: string | null, options: SessionTokenOptions = {}): Promise<string> {
	return signToken(await testSigningKey(), testClaims({ orgId, ...options }));
}

/**
 * The HMAC-SHA256 signature of `signingInput` with `secret`, base64url: the classic forgery of signing
 * with the verifier's public key as an HS256 secret.
 */
export async function hs256Signature(signingInput: string, secret: string): Promise<string> {
	const key = await crypto.subtle.importKey(
		"raw",
		new TextEncoder().encode(secret),
		{ name: "HMAC", hash: "SHA-256" },
		false,
		["sign"],
	);
	return base64url(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(signingInput)));
}

/** A whole HS256 token of `header` (its `alg` set to HS256) and `claims`, signed with `secret`. */
export async function hs256Token(
	claims: Record<string, unknown>,
	secret: string,
	header: Record<string, unknown> = { typ: "JWT" },
): Promise<string> {
	const input = `${base64url(JSON.stringify({ ...header, alg: "HS256" }))}.${base64url(JSON.stringify(claims))}`;
	return `${input}.${await hs256Signature(input, secret)}`;
}
