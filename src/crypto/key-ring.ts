import { decodeBase64 } from "../encoding/base64.ts";
import { InternalFailure } from "../errors/failure.ts";

/**
 * The at-rest encryption key ring of `CRM_ENCRYPTION_KEYS`: comma-separated `keyId:base64(32 bytes)`.
 * The first key encrypts new records; every key decrypts, so a key can be rotated in without
 * rewriting old records and retired once none uses it.
 */

export interface KeyRing {
	/** Id of the key that encrypts new records. */
	primaryId: string;
	/** AES-256 key bytes by id. */
	keys: ReadonlyMap<string, Uint8Array<ArrayBuffer>>;
}

/** `CRM_ENCRYPTION_KEYS` is malformed. The message says how, and never contains key material. */
export const keyRingFailure = (message: string) =>
	new InternalFailure("configuration", `CRM_ENCRYPTION_KEYS: ${message}`);

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Parses a key ring; `undefined` (the secret not set) means no encryption. Throws a `configuration` failure for
 * anything malformed — never a silent fallback to plaintext.
 *
 * @example
 * parseKeyRing("k2026:3q2+7w…=,k2025:q83v…=")?.primaryId; // "k2026"
 */
export function parseKeyRing(value: string | undefined): KeyRing | null {
	if (value === undefined) return null;
	// Set but blank is most likely a botched `wrangler secret put`: refuse it rather than store plaintext.
	if (value.trim() === "")
		throw keyRingFailure("is set but empty; remove the secret to store keys in plaintext");
	const keys = new Map<string, Uint8Array<ArrayBuffer>>();
	for (const entry of value.split(",")) {
		const separator = entry.indexOf(":");
		const id = entry.slice(0, separator).trim();
		const secret = entry.slice(separator + 1).trim();
		if (separator < 0 || !KEY_ID.test(id)) {
			throw keyRingFailure(
				"each entry must be keyId:base64Key, with a key id of 1-32 letters, digits, _ or -",
			);
		}
		if (keys.has(id)) throw keyRingFailure(`key id "${id}" appears twice`);
		const bytes = decodeBase64(secret);
		if (bytes?.length !== 32) throw keyRingFailure(`key "${id}" must be 32 bytes, base64-encoded`);
		keys.set(id, bytes);
	}
	const primaryId = keys.keys().next().value as string;
	return { primaryId, keys };
}
