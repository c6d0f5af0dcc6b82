/**
 * The zod schemas of the CRM settings API: the single source of request validation, response types
 * and the stored record's shape.
 */
import * as z from "zod/mini";
import { apiKeyEnvelopeSchema } from "../crypto/api-key-envelope.ts";

export const PROVIDERS = ["close", "bullhorn"] as const;
export type Provider = (typeof PROVIDERS)[number];

/**
 * Longest key accepted, in UTF-8 bytes: Clerk limits metadata in bytes (8 KB for all of it), so the cap
 * counts what Clerk counts, not characters. A CRM key is ASCII and far shorter.
 */
export const API_KEY_MAX_BYTES = 2048;
const utf8 = new TextEncoder();

const missing = (issue: { input?: unknown }) => issue.input === undefined;

export const providerSchema = z.enum(PROVIDERS, {
	error: (issue) => (missing(issue) ? "provider is required" : 'provider must be "close" or "bullhorn"'),
});

/**
 * Characters no API key holds, as a regular-expression class:
 * - control (`Cc`) and invisible formatting (`Cf`: zero-width spaces, bidi overrides) characters;
 * - every default-ignorable code point, which renders as nothing: variation selectors (U+FE0F,
 *   U+E0100), the combining grapheme joiner U+034F, the Hangul fillers U+115F, U+1160, U+3164 and
 *   U+FFA0, the Khmer inherent vowels U+17B4-U+17B5, tag characters;
 * - lone surrogate halves (`Cs`: not text at all, and a mask's last four would show one);
 * - private-use code points (`Co`: they mean something only by private agreement, and fonts draw
 *   them as nothing or a box);
 * - unassigned code points and noncharacters (`Cn`, e.g. U+0378, U+FFFF): no CRM issues keys in
 *   characters Unicode has not defined. "Unassigned" is as of the runtime's Unicode version, so a
 *   character newer than it is refused until the runtime knows it;
 * - the blank Braille pattern U+2800, listed on its own: an assigned symbol, not default-ignorable,
 *   that draws as blank. (The Hangul fillers are default-ignorable, so they need no entry here.)
 * So no key is visually empty, and none carries characters its mask would show as nothing. The
 * OpenAPI document's `apiKey` pattern is built from the same class.
 */
export const NOT_IN_API_KEY = String.raw`\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\p{Cs}\p{Co}\p{Cn}\u2800`;
const notInApiKey = new RegExp(`[${NOT_IN_API_KEY}]`, "u");

/** The key as pasted: surrounding whitespace is dropped; what remains must be visible, printable and non-empty. */
export const apiKeySchema = z
	.string({
		error: (issue) => (missing(issue) ? "apiKey is required" : "apiKey must be a string"),
	})
	.check(
		z.trim(),
		z.minLength(1, "apiKey must not be empty or blank"),
		z.refine(
			(key) => utf8.encode(key).byteLength <= API_KEY_MAX_BYTES,
			`apiKey must be at most ${API_KEY_MAX_BYTES} bytes in UTF-8`,
		),
		// Invisible in a paste, or meaningless, and never part of a key.
		z.refine(
			(key) => !notInApiKey.test(key),
			"apiKey must not contain control, invisible, blank filler, private-use or unassigned characters",
		),
	);

/** Why a Bullhorn key is never checked, on save or afterwards. */
export const BULLHORN_UNCHECKABLE =
	"Bullhorn credentials cannot be checked with one request (Bullhorn signs in through OAuth)";
export const BULLHORN_CANNOT_VERIFY = `${BULLHORN_UNCHECKABLE}; save without verify`;

/** Body of `POST /api/v1/operations/crm/settings`. Unknown fields are refused, not ignored. */
export const saveSettingsRequestSchema = z
	.strictObject(
		{
			provider: providerSchema,
			apiKey: apiKeySchema,
			/** Check the key with the CRM before saving it (Close only). */
			verify: z.optional(z.boolean({ error: "verify must be true or false" })),
		},
		{ error: (issue) => (issue.code === "invalid_type" ? "Request body must be a JSON object" : undefined) },
	)
	.check(
		z.refine((body) => !(body.verify === true && body.provider === "bullhorn"), {
			path: ["verify"],
			message: BULLHORN_CANNOT_VERIFY,
		}),
	);
export type SaveSettingsRequest = z.infer<typeof saveSettingsRequestSchema>;

const isoTimestamp = z.string();

/**
 * A connection's health: `verified` — the CRM accepted the key at the last check; `unverified` —
 * never checked; `rejected` — the CRM refused the key at the last check (or a service using it reported
 * a 401/403). A rejected connection stays connected: the admin decides what to do.
 */
const CONNECTION_STATUSES = ["verified", "unverified", "rejected"] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];
const connectionStatusSchema = z.enum(CONNECTION_STATUSES);

/** Body of a 200 `GET`. */
export const settingsResponseSchema = z.object({
	connected: z.boolean(),
	provider: z.nullable(providerSchema),
	connectedAt: z.optional(isoTimestamp),
	apiKeyMasked: z.nullable(z.string()),
	apiKeyId: z.optional(z.string()),
	connectedBy: z.optional(z.string()),
	verifiedAt: z.optional(isoTimestamp),
	status: z.optional(connectionStatusSchema),
	checkedAt: z.optional(isoTimestamp),
});
export type SettingsResponse = z.infer<typeof settingsResponseSchema>;

/** Body of a 200 `POST`. */
export const saveSettingsResponseSchema = z.object({
	success: z.literal(true),
	provider: providerSchema,
	connectedAt: isoTimestamp,
	/** Present when the request asked for `verify` and the CRM accepted the key. */
	verified: z.optional(z.literal(true)),
});
export type SaveSettingsResponse = z.infer<typeof saveSettingsResponseSchema>;

/** Body of a 200 `DELETE`. */
export const disconnectResponseSchema = z.object({
	success: z.literal(true),
	disconnected: z.literal(true),
});
export type DisconnectResponse = z.infer<typeof disconnectResponseSchema>;

/**
 * The record kept at `private_metadata.crm`. Read leniently (older records may lack the newer fields);
 * written whole, every field present, so one deep-merging PATCH replaces any earlier record exactly.
 */
export const storedRecordSchema = z.object({
	provider: providerSchema,
	/** Plaintext, or an AES-256-GCM envelope when `CRM_ENCRYPTION_KEYS` is set. */
	apiKey: z.union([z.string(), apiKeyEnvelopeSchema]),
	/** Null when the key is too short to show any of it. */
	apiKeyLast4: z.optional(z.nullable(z.string())),
	apiKeyId: z.optional(z.nullable(z.string())),
	connectedAt: isoTimestamp,
	connectedBy: z.optional(z.nullable(z.string())),
	verifiedAt: z.optional(z.nullable(isoTimestamp)),
	/** Absent in records saved before it existed: `verified` when `verifiedAt` is set, else `unverified`. */
	status: z.optional(z.nullable(connectionStatusSchema)),
	/** When the key was last checked with the CRM (on a verified save, a re-check or a reported rejection). */
	checkedAt: z.optional(z.nullable(isoTimestamp)),
});
export type StoredRecord = z.infer<typeof storedRecordSchema>;

/** Every field a record may hold; a save writes each of them, `null` where it has no value. */
export const STORED_RECORD_FIELDS = Object.keys(storedRecordSchema.shape) as (keyof StoredRecord)[];
