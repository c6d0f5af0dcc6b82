import { ConfigError } from "../config/config-error.ts";

/** The only algorithm of Clerk session tokens, and of the key `CLERK_JWT_KEY` holds. */
export const RS256 = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

let cached: { pem: string; key: Promise<CryptoKey> } | undefined;

/**
 * The Web Crypto key of `CLERK_JWT_KEY` (the canonical PEM `normalizeJwtKey` returns), imported once
 * per isolate and shared by every request after it. Clerk's `verifyToken` re-imports the key on each
 * call, which is why the service verifies with `verifySessionToken` instead. A key that Web Crypto
 * refuses is a configuration error (500), not a bad token.
 *
 * @example
 * const key = await verificationKey(config.clerkJwtKey);
 */
export function verificationKey(pem: string): Promise<CryptoKey> {
	if (cached?.pem !== pem) cached = { pem, key: importSpki(pem) };
	return cached.key;
}

async function importSpki(pem: string): Promise<CryptoKey> {
	const der = Uint8Array.from(atob(pem.replace(/-----(BEGIN|END) PUBLIC KEY-----|\s/g, "")), (char) =>
		char.charCodeAt(0),
	);
	try {
		return await crypto.subtle.importKey("spki", der, RS256, false, ["verify"]);
	} catch {
		throw new ConfigError("CLERK_JWT_KEY could not be imported as an RSA public key");
	}
}
