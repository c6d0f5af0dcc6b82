import { describe, expect, it } from "vitest";
import { decryptApiKey, sealApiKey } from "../src/crypto/api-key-envelope.ts";
import { parseKeyRing } from "../src/crypto/key-ring.ts";
import { InternalFailure } from "../src/errors/failure.ts";
import { errorBody, getSettings, saveSettings } from "./support/api.ts";
import { clerkCalls, newOrganization, organization } from "./support/emulator.ts";
import { captureLogs } from "./support/logs.ts";
import { tokenFor } from "./support/tokens.ts";

/** The failures of a malformed key ring and of an envelope that does not open, as the code throws them. */
const keyRingFailure = (message: string) =>
	new InternalFailure("configuration", `CRM_ENCRYPTION_KEYS: ${message}`);
const doesNotOpen = (message: string) => new InternalFailure("key-does-not-open", message);

const key = (byte: number) => btoa(String.fromCharCode(...new Uint8Array(32).fill(byte)));
const OLD_RING = `k2025:${key(1)}`;
const ROTATED_RING = `k2026:${key(2)},k2025:${key(1)}`;
const API_KEY = "api_EncId0000000000000000.EncSecret00000000000000abcd";

describe("parseKeyRing", () => {
	it("reads keyId:base64 entries; the first one encrypts", () => {
		const ring = parseKeyRing(` ${ROTATED_RING} `);
		expect(ring?.primaryId).toBe("k2026");
		expect([...(ring?.keys.keys() ?? [])]).toEqual(["k2026", "k2025"]);
	});

	it("means no encryption only when unset; set but blank is refused", () => {
		expect(parseKeyRing(undefined)).toBeNull();
		expect(() => parseKeyRing("  ")).toThrow(
			keyRingFailure("is set but empty; remove the secret to store keys in plaintext"),
		);
	});

	it.each([
		[
			"no separator",
			key(1),
			"each entry must be keyId:base64Key, with a key id of 1-32 letters, digits, _ or -",
		],
		[
			"an empty key id",
			`:${key(1)}`,
			"each entry must be keyId:base64Key, with a key id of 1-32 letters, digits, _ or -",
		],
		[
			"a key id with spaces",
			`my key:${key(1)}`,
			"each entry must be keyId:base64Key, with a key id of 1-32 letters, digits, _ or -",
		],
		["a short key", `k1:${btoa("0123456789abcdef")}`, 'key "k1" must be 32 bytes, base64-encoded'],
		[
			"a key that is not base64",
			"k1:not*base64*at*all*0000000000000000000000000",
			'key "k1" must be 32 bytes, base64-encoded',
		],
		["a duplicate id", `k1:${key(1)},k1:${key(2)}`, 'key id "k1" appears twice'],
		[
			"a trailing comma",
			`k1:${key(1)},`,
			"each entry must be keyId:base64Key, with a key id of 1-32 letters, digits, _ or -",
		],
	])("refuses %s, without echoing key material", (_name, value, message) => {
		expect(() => parseKeyRing(value)).toThrow(keyRingFailure(message));
		try {
			parseKeyRing(value);
		} catch (error) {
			expect((error as Error).message).not.toContain(key(1));
		}
	});
});

describe("sealApiKey and decryptApiKey", () => {
	const ring = parseKeyRing(OLD_RING) as NonNullable<ReturnType<typeof parseKeyRing>>;

	it("round-trips, with a fresh 96-bit IV each time", async () => {
		const first = await sealApiKey(API_KEY, "org_a", ring);
		const second = await sealApiKey(API_KEY, "org_a", ring);
		expect(first).toEqual({
			v: 1,
			alg: "A256GCM",
			kid: "k2025",
			iv: expect.any(String),
			ct: expect.any(String),
		});
		expect(atob(first.iv)).toHaveLength(12);
		expect(first.iv).not.toBe(second.iv);
		expect(await decryptApiKey({ apiKey: first }, "org_a", ring)).toBe(API_KEY);
		expect(await decryptApiKey({ apiKey: first }, "org_a", OLD_RING)).toBe(API_KEY);
	});

	it("returns a plaintext record's key as it is", async () => {
		expect(await decryptApiKey({ apiKey: "plain-key" }, "org_a", undefined)).toBe("plain-key");
	});

	it("refuses a ciphertext moved to another organization", async () => {
		const envelope = await sealApiKey(API_KEY, "org_a", ring);
		await expect(decryptApiKey({ apiKey: envelope }, "org_b", ring)).rejects.toThrow(
			doesNotOpen("the envelope does not open: tampered with, or sealed for another organization"),
		);
	});

	it("refuses tampered ciphertext", async () => {
		const envelope = await sealApiKey(API_KEY, "org_a", ring);
		const bytes = Uint8Array.from(atob(envelope.ct), (char) => char.charCodeAt(0));
		bytes[0] = (bytes[0] as number) ^ 1;
		const tampered = { ...envelope, ct: btoa(String.fromCharCode(...bytes)) };
		await expect(decryptApiKey({ apiKey: tampered }, "org_a", ring)).rejects.toMatchObject({
			kind: "key-does-not-open",
		});
	});

	it("refuses an envelope sealed with a key the ring lacks", async () => {
		const envelope = await sealApiKey(API_KEY, "org_a", ring);
		await expect(decryptApiKey({ apiKey: envelope }, "org_a", `k2030:${key(9)}`)).rejects.toThrow(
			doesNotOpen('the record was sealed with key "k2025", which the key ring lacks'),
		);
	});

	it("refuses a malformed envelope and a malformed or missing key ring", async () => {
		const envelope = await sealApiKey(API_KEY, "org_a", ring);
		await expect(decryptApiKey({ apiKey: { ...envelope, iv: "short" } }, "org_a", ring)).rejects.toThrow(
			doesNotOpen("the envelope's iv or ct is malformed"),
		);
		await expect(decryptApiKey({ apiKey: { v: 2 } }, "org_a", ring)).rejects.toThrow(
			doesNotOpen("apiKey is neither a string nor an A256GCM envelope"),
		);
		await expect(decryptApiKey({ apiKey: envelope }, "org_a", "k2025")).rejects.toMatchObject({
			kind: "configuration",
		});
		await expect(decryptApiKey({ apiKey: envelope }, "org_a", undefined)).rejects.toThrow(
			keyRingFailure("is not set, but the record is encrypted"),
		);
	});

	it.each([
		["null", null],
		["undefined", undefined],
		["a string", "api_x.y"],
		["an array", [{ apiKey: "api_x.y" }]],
		["an object without apiKey", { provider: "close" }],
	])("refuses a record that is %s as a key that does not open, not a TypeError", async (_name, record) => {
		await expect(decryptApiKey(record, "org_a", ring)).rejects.toThrow(
			doesNotOpen("the record is not an object with an apiKey"),
		);
	});

	it("refuses an apiKey that is neither a string nor an envelope, whatever the ring", async () => {
		for (const apiKey of [null, 42, [], {}]) {
			await expect(decryptApiKey({ apiKey }, "org_a", undefined)).rejects.toThrow(
				doesNotOpen("apiKey is neither a string nor an A256GCM envelope"),
			);
		}
	});
});

describe("the service with CRM_ENCRYPTION_KEYS", () => {
	async function connectWith(ring: string, apiKey = API_KEY) {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId);
		const saved = await saveSettings({
			token,
			body: { provider: "close", apiKey },
			env: { CRM_ENCRYPTION_KEYS: ring },
		});
		expect(saved.status).toBe(200);
		return {
			orgId,
			token,
			stored: (await organization(orgId)).private_metadata.crm as Record<string, unknown>,
		};
	}

	it("stores an envelope, never the plaintext, and GET shows the mask without decrypting", async () => {
		const { orgId, token, stored } = await connectWith(OLD_RING);
		expect(stored).toEqual({
			provider: "close",
			apiKey: { v: 1, alg: "A256GCM", kid: "k2025", iv: expect.any(String), ct: expect.any(String) },
			apiKeyLast4: "abcd",
			apiKeyId: "api_EncId0000000000000000",
			connectedAt: expect.any(String),
			connectedBy: "user_test",
			status: "unverified",
		});
		expect(JSON.stringify(await organization(orgId))).not.toContain("EncSecret");
		// GET works even where the key ring is gone: it never needs the key.
		expect((await getSettings({ token })).body).toMatchObject({ apiKeyMasked: "********************abcd" });
		expect(await decryptApiKey(stored as { apiKey: unknown }, orgId, OLD_RING)).toBe(API_KEY);
	});

	it("a ciphertext copied into another organization's metadata does not open there", async () => {
		const { stored } = await connectWith(OLD_RING);
		const otherOrg = await newOrganization({ private_metadata: { crm: stored } });
		await expect(decryptApiKey(stored as { apiKey: unknown }, otherOrg, OLD_RING)).rejects.toMatchObject({
			kind: "key-does-not-open",
		});
	});

	it("rotation: old records still open after a new key is put first; new writes use the new key", async () => {
		const before = await connectWith(OLD_RING);
		const after = await connectWith(ROTATED_RING);
		expect(before.stored.apiKey).toMatchObject({ kid: "k2025" });
		expect(after.stored.apiKey).toMatchObject({ kid: "k2026" });
		expect(await decryptApiKey(before.stored as { apiKey: unknown }, before.orgId, ROTATED_RING)).toBe(
			API_KEY,
		);
		expect(await decryptApiKey(after.stored as { apiKey: unknown }, after.orgId, ROTATED_RING)).toBe(API_KEY);
	});

	it("a malformed CRM_ENCRYPTION_KEYS → 500 and a log line naming it; nothing stored in plaintext", async () => {
		const logs = captureLogs();
		const orgId = await newOrganization();
		const response = await saveSettings({
			token: await tokenFor(orgId),
			body: { provider: "close", apiKey: API_KEY },
			env: { CRM_ENCRYPTION_KEYS: "k1:tooshort" },
		});
		expect(response.status).toBe(500);
		expect(response.body).toEqual(errorBody(response, "INTERNAL_ERROR", "Internal server error"));
		expect(await clerkCalls(orgId)).toEqual([]);
		expect(logs.entries()[0]).toEqual({
			level: "error",
			msg: "configuration error",
			problem: 'CRM_ENCRYPTION_KEYS: key "k1" must be 32 bytes, base64-encoded',
			requestId: response.headers.get("X-Request-Id"),
		});
	});
});
