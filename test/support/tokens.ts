/** Session tokens for the tests, signed with the run's test key so the real verification runs. */
import { inject } from "vitest";
import {
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
