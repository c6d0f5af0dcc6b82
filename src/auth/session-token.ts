import { TokenVerificationErrorReason as Reason, TokenVerificationError } from "@clerk/backend/errors";
import { decodeJwt } from "@clerk/backend/jwt";
import type { JwtPayload } from "@clerk/shared/types";
import { RS256 } from "./verification-key.ts";

/** Clerk's default leeway for `exp`, `nbf` and `iat`. */
const CLOCK_SKEW_MS = 5000;
/** `cat` header of Clerk machine (M2M) tokens, which `verifyToken` refuses as session tokens. */
const MACHINE_TOKEN_CATEGORY = "cl_B7d4PD333AAA";

export interface SessionTokenOptions {
	/** From `verificationKey`: imported once, not per call. */
	key: CryptoKey;
	/** Accepted `azp` values; empty: no `azp` check (Clerk's rule). */
	authorizedParties: string[];
}

/**
 * Verifies a Clerk session token as `verifyToken(token, { jwtKey, authorizedParties })` of
 * @clerk/backend does, against a key imported once instead of on every call: Clerk's own `decodeJwt`,
 * then Clerk's checks in Clerk's order — not a machine token, header type `JWT` if any, RS256, the
 * signature, `sub`, `azp`, `exp`, `nbf`, `iat` with Clerk's 5 s clock skew. Failures throw Clerk's
 * `TokenVerificationError` with Clerk's `reason`. Only difference: RS384/RS512 headers are refused as
 * `token-invalid-algorithm` (Clerk refuses them too, later, as `token-verification-failed`).
 *
 * @example
 * const claims = await verifySessionToken(token, { key: await verificationKey(pem), authorizedParties: [] });
 */
export async function verifySessionToken(token: string, options: SessionTokenOptions): Promise<JwtPayload> {
	const { header, payload, signature, raw } = decodeJwt(token);
	if (header.cat === MACHINE_TOKEN_CATEGORY) fail(Reason.TokenInvalid, "Invalid session token category.");
	if (header.typ !== undefined && header.typ !== "JWT") fail(Reason.TokenInvalid, "Invalid JWT type.");
	if (header.alg !== "RS256") fail(Reason.TokenInvalidAlgorithm, "Invalid JWT algorithm.");

	const signed = new TextEncoder().encode(`${raw.header}.${raw.payload}`);
	const valid = await crypto.subtle.verify(RS256.name, options.key, signature, signed);
	if (!valid) fail(Reason.TokenInvalidSignature, "JWT signature is invalid.");

	checkClaims(payload, options.authorizedParties, Date.now());
	return payload;
}

function checkClaims(payload: JwtPayload, authorizedParties: string[], now: number): void {
	const { sub, azp, exp, nbf, iat } = payload as Record<string, unknown>;
	if (typeof sub !== "string") fail(Reason.TokenVerificationFailed, "Subject claim (sub) is required.");
	if (authorizedParties.length > 0 && (typeof azp !== "string" || !authorizedParties.includes(azp))) {
		fail(Reason.TokenInvalidAuthorizedParties, "Invalid JWT Authorized party claim (azp).");
	}
	if (typeof exp !== "number") fail(Reason.TokenVerificationFailed, "Invalid JWT expiry date claim (exp).");
	if (claimTime(exp) <= now - CLOCK_SKEW_MS) fail(Reason.TokenExpired, "JWT is expired.");
	if (nbf !== undefined) {
		if (typeof nbf !== "number") fail(Reason.TokenVerificationFailed, "Invalid JWT not before claim (nbf).");
		if (claimTime(nbf) > now + CLOCK_SKEW_MS) fail(Reason.TokenNotActiveYet, "JWT is not valid yet (nbf).");
	}
	if (iat !== undefined) {
		if (typeof iat !== "number") fail(Reason.TokenVerificationFailed, "Invalid JWT issued at claim (iat).");
		if (claimTime(iat) > now + CLOCK_SKEW_MS)
			fail(Reason.TokenIatInTheFuture, "JWT issued in the future (iat).");
	}
}

/**
 * A NumericDate claim in milliseconds, computed as Clerk computes it (`new Date(0).setUTCSeconds`):
 * fractions are truncated, and a time beyond the Date range is NaN, which no comparison matches.
 */
function claimTime(seconds: number): number {
	return new Date(0).setUTCSeconds(seconds);
}

function fail(reason: (typeof Reason)[keyof typeof Reason], message: string): never {
	throw new TokenVerificationError({ reason, message });
}
