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

const notJsonObject = (issue: { code?: string }) =>
	issue.code === "invalid_type" ? "Request body must be a JSON object" : undefined;

/** The reference's form of `POST /api/v1/operations/crm/settings`: a provider and its API key. */
export const apiKeyFormSchema = z
	.strictObject(
		{
			provider: providerSchema,
			apiKey: apiKeySchema,
			/** Check the key with the CRM before saving it (Close only). */
			verify: z.optional(z.boolean({ error: "verify must be true or false" })),
		},
		{ error: notJsonObject },
	)
	.check(
		z.refine((body) => !(body.verify === true && body.provider === "bullhorn"), {
			path: ["verify"],
			message: BULLHORN_CANNOT_VERIFY,
		}),
	);
export type ApiKeyForm = z.infer<typeof apiKeyFormSchema>;

/** Longest Bullhorn user name, password, client id or client secret accepted (Bullhorn's are far shorter). */
export const BULLHORN_FIELD_MAX_LENGTH = 256;
const CONTROL = /\p{Cc}/u;

/** A Bullhorn credential field: trimmed (a user name, a client id) or kept as typed (a password, a secret). */
const bullhornField = (name: string, trimmed: boolean) =>
	z.string({ error: (issue) => (missing(issue) ? `${name} is required` : `${name} must be a string`) }).check(
		...(trimmed ? [z.trim()] : []),
		z.minLength(1, `${name} must not be empty`),
		z.maxLength(BULLHORN_FIELD_MAX_LENGTH, `${name} must be at most ${BULLHORN_FIELD_MAX_LENGTH} characters`),
		z.refine((value) => !CONTROL.test(value), `${name} must not contain control characters`),
	);

/**
 * Bullhorn's own form of the POST: the organization's Bullhorn API user, whose password signs in once
 * and is never kept, and optionally the organization's own Bullhorn API key (`clientId` and
 * `clientSecret`, both or neither); without them the platform's is used.
 */
export const bullhornLoginFormSchema = z
	.strictObject(
		{
			provider: z.literal("bullhorn"),
			username: bullhornField("username", true),
			password: bullhornField("password", false),
			clientId: z.optional(bullhornField("clientId", true)),
			clientSecret: z.optional(bullhornField("clientSecret", false)),
		},
		{ error: notJsonObject },
	)
	.check(
		z.refine((body) => (body.clientId === undefined) === (body.clientSecret === undefined), {
			path: ["clientSecret"],
			message: "clientId and clientSecret go together: give both (your own Bullhorn API key) or neither",
		}),
	);
export type BullhornLoginForm = z.infer<typeof bullhornLoginFormSchema>;

/** Whether a body means Bullhorn's own form: provider bullhorn, and an API user's fields rather than a key. */
function isBullhornLoginForm(body: unknown): boolean {
	if (typeof body !== "object" || body === null || Array.isArray(body)) return false;
	const fields = body as Record<string, unknown>;
	return (
		fields.provider === "bullhorn" && !("apiKey" in fields) && ("username" in fields || "password" in fields)
	);
}

/**
 * Body of `POST /api/v1/operations/crm/settings`: the reference's form, or Bullhorn's own, told apart
 * before validation so that each is refused in its own words. Unknown fields are refused, not ignored.
 */
export const saveSettingsRequestSchema = z.pipe(
	z.unknown(),
	z.transform((body, ctx): ApiKeyForm | BullhornLoginForm => {
		const result = isBullhornLoginForm(body)
			? z.safeParse(bullhornLoginFormSchema, body)
			: z.safeParse(apiKeyFormSchema, body);
		if (result.success) return result.data;
		// The issues of the form that applies, as they are: each names its field.
		for (const issue of result.error.issues) ctx.issues.push({ ...issue, input: body } as never);
		return z.NEVER;
	}),
);
export type SaveSettingsRequest = z.infer<typeof saveSettingsRequestSchema>;

const isoTimestamp = z.string();

export type { HistoryResponse } from "./events.ts";

export const HISTORY_DEFAULT_LIMIT = 20;
export const HISTORY_MAX_LIMIT = 100;

/** The query of `GET …/settings/history`: how many events (1–100, default 20), from where. */
export const historyQuerySchema = z.strictObject({
	limit: z.optional(
		z
			.string()
			.check(
				z.refine(
					(value) => /^\d{1,3}$/.test(value) && Number(value) >= 1 && Number(value) <= HISTORY_MAX_LIMIT,
					`limit must be a whole number from 1 to ${HISTORY_MAX_LIMIT}`,
				),
			),
	),
	cursor: z.optional(
		z.string().check(z.regex(/^[A-Za-z0-9_-]{1,40}$/, "cursor must be a nextCursor this API gave")),
	),
});

/**
 * A connection's health: `verified` — the CRM accepted the key at the last check; `unverified` —
 * never checked; `rejected` — the CRM refused the key at the last check (or a service using it reported
 * a 401/403). A rejected connection stays connected: the admin decides what to do.
 */
const CONNECTION_STATUSES = ["verified", "unverified", "rejected"] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];
export const connectionStatusSchema = z.enum(CONNECTION_STATUSES);

// The response schemas below are for the types and the OpenAPI document (scripts/openapi.ts): the Worker
// never runs them. Each is built in an `@__PURE__` call, so that the bundler leaves it out of the Worker.

/** Body of a 200 `GET`. */
export const settingsResponseSchema = /* @__PURE__ */ (() =>
	z.object({
		connected: z.boolean(),
		provider: z.nullable(providerSchema),
		connectedAt: z.optional(isoTimestamp),
		apiKeyMasked: z.nullable(z.string()),
		apiKeyId: z.optional(z.string()),
		/** A Bullhorn connection by API user: that user's name, and the host of its data center's REST API. */
		apiUser: z.optional(z.string()),
		dataCenter: z.optional(z.string()),
		connectedBy: z.optional(z.string()),
		verifiedAt: z.optional(isoTimestamp),
		status: z.optional(connectionStatusSchema),
		checkedAt: z.optional(isoTimestamp),
	}))();
export type SettingsResponse = z.infer<typeof settingsResponseSchema>;

/** Body of a 200 `POST`. */
export const saveSettingsResponseSchema = /* @__PURE__ */ (() =>
	z.object({
		success: z.literal(true),
		provider: providerSchema,
		connectedAt: isoTimestamp,
		/** Present when the request asked for `verify` and the CRM accepted the key. */
		verified: z.optional(z.literal(true)),
	}))();
export type SaveSettingsResponse = z.infer<typeof saveSettingsResponseSchema>;

/** Body of a 200 `DELETE`. */
export const disconnectResponseSchema = /* @__PURE__ */ (() =>
	z.object({
		success: z.literal(true),
		disconnected: z.literal(true),
	}))();
export type DisconnectResponse = z.infer<typeof disconnectResponseSchema>;

/** Plaintext, or an AES-256-GCM envelope when `CRM_ENCRYPTION_KEYS` is set. */
const secretValueSchema = z.union([z.string(), apiKeyEnvelopeSchema]);

/** What every record holds about the connection: when, by whom, and its health. */
const connectionFields = {
	connectedAt: isoTimestamp,
	connectedBy: z.optional(z.nullable(z.string())),
	verifiedAt: z.optional(z.nullable(isoTimestamp)),
	/** Absent in records saved before it existed: `verified` when `verifiedAt` is set, else `unverified`. */
	status: z.optional(z.nullable(connectionStatusSchema)),
	/** When the credential was last checked with the CRM (on a verified save, a re-check or a reported rejection). */
	checkedAt: z.optional(z.nullable(isoTimestamp)),
};

/** A connection by API key: Close's, or a Bullhorn key saved in the reference's form. */
export const apiKeyRecordSchema = z.object({
	provider: providerSchema,
	apiKey: secretValueSchema,
	/** Null when the key is too short to show any of it. */
	apiKeyLast4: z.optional(z.nullable(z.string())),
	apiKeyId: z.optional(z.nullable(z.string())),
	...connectionFields,
});
export type ApiKeyRecord = z.infer<typeof apiKeyRecordSchema>;

/**
 * A Bullhorn connection by API user: what logging in again needs, never the password. The refresh token
 * works once; each refresh stores the next one.
 */
export const bullhornLoginRecordSchema = z.object({
	provider: z.literal("bullhorn"),
	apiUser: z.string(),
	/** The OAuth client: the organization's own (with its secret, sealed) or the platform's (no secret here). */
	clientId: z.string(),
	clientSecret: z.optional(z.nullable(secretValueSchema)),
	refreshToken: secretValueSchema,
	oauthUrl: z.string(),
	restUrl: z.string(),
	...connectionFields,
});
export type BullhornLoginRecord = z.infer<typeof bullhornLoginRecordSchema>;

/**
 * The record kept at `private_metadata.crm`. Read leniently (older records may lack the newer fields);
 * written whole, every field of both shapes present, so one deep-merging PATCH replaces any earlier
 * record exactly, whatever its shape.
 */
export const storedRecordSchema = z.union([apiKeyRecordSchema, bullhornLoginRecordSchema]);
export type StoredRecord = z.infer<typeof storedRecordSchema>;

export const isBullhornLogin = (record: StoredRecord): record is BullhornLoginRecord =>
	"refreshToken" in record;

/** Every field a record may hold; a save writes each of them, `null` where it has no value. */
export const STORED_RECORD_FIELDS = [
	...new Set([...Object.keys(apiKeyRecordSchema.shape), ...Object.keys(bullhornLoginRecordSchema.shape)]),
];
