import { InternalFailure } from "../errors/failure.ts";

// DER header and trailer of a 2048-bit RSA SubjectPublicKeyInfo with exponent 65537, in base64, and its
// whole length (294 bytes): the only key shape Clerk issues, and the only one `verifyToken`'s `jwtKey`
// option can read. Header, length and trailer fix the DER structure, so any value of this shape imports:
// the key is checked once here, not by importing it on a request.
const RSA_2048_SPKI_PREFIX = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA";
const RSA_2048_SPKI_SUFFIX = "IDAQAB";
const RSA_2048_SPKI_BASE64_LENGTH = 392;

/**
 * Turns `CLERK_JWT_KEY` as people paste it — a PEM with real newlines, with literal `\n` sequences, or
 * just its base64 body — into one canonical PEM. Throws a `configuration` InternalFailure for anything else.
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
		body.length === RSA_2048_SPKI_BASE64_LENGTH &&
		body.startsWith(RSA_2048_SPKI_PREFIX) &&
		body.endsWith(RSA_2048_SPKI_SUFFIX);
	if (!isRsa2048) {
		throw new InternalFailure(
			"configuration",
			"CLERK_JWT_KEY is not the PEM public key of a Clerk instance (2048-bit RSA)",
		);
	}
	const lines = body.match(/.{1,64}/g) ?? [];
	return `-----BEGIN PUBLIC KEY-----\n${lines.join("\n")}\n-----END PUBLIC KEY-----`;
}
