/**
 * AES-256-GCM envelopes for API keys at rest (Web Crypto). Each envelope carries a random 96-bit IV
 * and the id of the key that sealed it; the organization id is authenticated as additional data, so a
 * ciphertext copied into another organization's metadata fails to open.
 */
import * as z from "zod/mini";
import { decodeBase64, encodeBase64 } from "../encoding/base64.ts";
import { InternalFailure } from "../errors/failure.ts";
import { type KeyRing, keyRingFailure, parseKeyRing } from "./key-ring.ts";

/** How a sealed key is stored in `private_metadata.crm.apiKey`: base64 IV (12 bytes) and ciphertext+tag. */
export const apiKeyEnvelopeSchema = z.object({
	v: z.literal(1),
	alg: z.literal("A256GCM"),
	/** Id of the key-ring entry that sealed it. */
	kid: z.string(),
	iv: z.string(),
	ct: z.string(),
});
export type ApiKeyEnvelope = z.infer<typeof apiKeyEnvelopeSchema>;

/** An envelope that cannot be opened: unknown key, wrong organization, tampering or bad shape. */
const doesNotOpen = (message: string) => new InternalFailure("key-does-not-open", message);

const importedKeys = new WeakMap<Uint8Array<ArrayBuffer>, Promise<CryptoKey>>();

// Imported once per key per isolate: importKey is the slow part of a seal.
function cryptoKey(bytes: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
	let key = importedKeys.get(bytes);
	if (!key) {
		key = crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]);
		importedKeys.set(bytes, key);
	}
	return key;
}

const additionalData = (orgId: string) => new TextEncoder().encode(`crm-settings:v1:${orgId}`);

/**
 * Seals `apiKey` for `orgId` with the key ring's primary key.
 *
 * @example
 * const envelope = await sealApiKey("api_x.y", "org_1", keyRing); // { v: 1, alg: "A256GCM", kid, iv, ct }
 */
export async function sealApiKey(apiKey: string, orgId: string, keyRing: KeyRing): Promise<ApiKeyEnvelope> {
	const bytes = keyRing.keys.get(keyRing.primaryId) as Uint8Array<ArrayBuffer>;
	const iv = crypto.getRandomValues(new Uint8Array(12));
	const ciphertext = await crypto.subtle.encrypt(
		{ name: "AES-GCM", iv, additionalData: additionalData(orgId) },
		await cryptoKey(bytes),
		new TextEncoder().encode(apiKey),
	);
	return {
		v: 1,
		alg: "A256GCM",
		kid: keyRing.primaryId,
		iv: encodeBase64(iv),
		ct: encodeBase64(new Uint8Array(ciphertext)),
	};
}

/**
 * The plaintext API key of a stored CRM record, for the services that call the CRM with it. Accepts
 * both storage forms: a plaintext `apiKey` (no `CRM_ENCRYPTION_KEYS`) is returned as it is; an envelope
 * is opened with the key ring — the `CRM_ENCRYPTION_KEYS` string or a parsed `KeyRing`.
 *
 * Throws an InternalFailure of kind `key-does-not-open` when the record is not an object with an
 * `apiKey` (null, a string, an array: whatever the metadata holds), or its envelope names a key the
 * ring lacks, belongs to another organization, was tampered with or is malformed; of kind
 * `configuration` for a malformed key ring.
 *
 * @example
 * const record = organization.private_metadata.crm;
 * const apiKey = await decryptApiKey(record, organization.id, env.CRM_ENCRYPTION_KEYS);
 */
export async function decryptApiKey(
	record: unknown,
	orgId: string,
	keyRing: KeyRing | string | undefined,
): Promise<string> {
	// Metadata is whatever was written to it: check the shape before reading a field of it.
	if (typeof record !== "object" || record === null || Array.isArray(record) || !("apiKey" in record)) {
		throw doesNotOpen("the record is not an object with an apiKey");
	}
	if (typeof record.apiKey === "string") return record.apiKey;
	const parsed = apiKeyEnvelopeSchema.safeParse(record.apiKey);
	if (!parsed.success) throw doesNotOpen("apiKey is neither a string nor an A256GCM envelope");
	const envelope = parsed.data;

	const ring = typeof keyRing === "string" || keyRing === undefined ? parseKeyRing(keyRing) : keyRing;
	if (!ring) throw keyRingFailure("is not set, but the record is encrypted");
	const bytes = ring.keys.get(envelope.kid);
	if (!bytes) throw doesNotOpen(`the record was sealed with key "${envelope.kid}", which the key ring lacks`);

	const iv = decodeBase64(envelope.iv);
	const ciphertext = decodeBase64(envelope.ct);
	if (iv?.length !== 12 || !ciphertext || ciphertext.length < 16) {
		throw doesNotOpen("the envelope's iv or ct is malformed");
	}
	try {
		const plaintext = await crypto.subtle.decrypt(
			{ name: "AES-GCM", iv, additionalData: additionalData(orgId) },
			await cryptoKey(bytes),
			ciphertext,
		);
		return new TextDecoder().decode(plaintext);
	} catch {
		throw doesNotOpen("the envelope does not open: tampered with, or sealed for another organization");
	}
}
