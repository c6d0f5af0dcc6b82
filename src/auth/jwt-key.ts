import { ConfigError } from "../config/config-error.ts";

// DER header and trailer of a 2048-bit RSA SubjectPublicKeyInfo with exponent 65537, in base64: the only
// key shape Clerk issues, and the only one `verifyToken`'s `jwtKey` option can read.
const RSA_2048_SPKI_PREFIX = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA";
const RSA_2048_SPKI_SUFFIX = "IDAQAB";

/**
 * Turns `CLERK_JWT_KEY` as people paste it — a PEM with real newlines, with literal `\n` sequences, or
 * just its base64 body — into one canonical PEM. Throws `ConfigError` for anything else.
 *
 * @example
 * normalizeJwtKey("-----BEGIN PUBLIC KEY-----\\nMIIBIjAN...\\n-----END PUBLIC KEY-----");
 */
export function normalizeJwtKey(raw: string): string {
	const body = raw
		.replace(/\\r|\\n/g, "\n")
		.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "")
		.replace(/["']/g, "")
		.replace(/\s+/g, "");
	const isRsa2048 =
		/^[A-Za-z0-9+/]+={0,2}$/.test(body) &&
		body.startsWith(RSA_2048_SPKI_PREFIX) &&
		body.endsWith(RSA_2048_SPKI_SUFFIX);
	if (!isRsa2048) {
		throw new ConfigError("CLERK_JWT_KEY is not the PEM public key of a Clerk instance (2048-bit RSA)");
	}
	const lines = body.match(/.{1,64}/g) ?? [];
	return `-----BEGIN PUBLIC KEY-----\n${lines.join("\n")}\n-----END PUBLIC KEY-----`;
}
