/**
 * The zod schemas of the CRM settings API: the single source of request validation, response types
 * and the stored record's shape.
 */
import * as z from "zod/mini";

export const PROVIDERS = ["close", "bullhorn"] as const;
export type Provider = (typeof PROVIDERS)[number];

/** Longest key accepted: Clerk's private metadata holds 8 KB in all, and a CRM key is far shorter. */
export const API_KEY_MAX_LENGTH = 2048;

const missing = (issue: { input?: unknown }) => issue.input === undefined;

export const providerSchema = z.enum(PROVIDERS, {
	error: (issue) => (missing(issue) ? "provider is required" : 'provider must be "close" or "bullhorn"'),
});

/** The key as pasted: surrounding whitespace is dropped; what remains must be printable and non-empty. */
export const apiKeySchema = z
	.string({
		error: (issue) => (missing(issue) ? "apiKey is required" : "apiKey must be a string"),
	})
	.check(
		z.trim(),
		z.minLength(1, "apiKey must not be empty or blank"),
		z.maxLength(API_KEY_MAX_LENGTH, `apiKey must be at most ${API_KEY_MAX_LENGTH} characters`),
		z.refine((key) => !/\p{Cc}/u.test(key), "apiKey must not contain control characters"),
	);

/** Body of `POST /api/v1/operations/crm/settings`. Unknown fields are refused, not ignored. */
export const saveSettingsRequestSchema = z.strictObject(
	{
		provider: providerSchema,
		apiKey: apiKeySchema,
	},
	{ error: (issue) => (issue.code === "invalid_type" ? "Request body must be a JSON object" : undefined) },
);
export type SaveSettingsRequest = z.infer<typeof saveSettingsRequestSchema>;

const isoTimestamp = z.string();

/** Body of a 200 `GET`. */
export const settingsResponseSchema = z.object({
	connected: z.boolean(),
	provider: z.nullable(providerSchema),
	connectedAt: z.optional(isoTimestamp),
	apiKeyMasked: z.nullable(z.string()),
	apiKeyId: z.optional(z.string()),
	connectedBy: z.optional(z.string()),
});
export type SettingsResponse = z.infer<typeof settingsResponseSchema>;

/** Body of a 200 `POST`. */
export const saveSettingsResponseSchema = z.object({
	success: z.literal(true),
	provider: providerSchema,
	connectedAt: isoTimestamp,
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
	apiKey: z.string(),
	/** Null when the key is too short to show any of it. */
	apiKeyLast4: z.optional(z.nullable(z.string())),
	apiKeyId: z.optional(z.nullable(z.string())),
	connectedAt: isoTimestamp,
	connectedBy: z.optional(z.nullable(z.string())),
});
export type StoredRecord = z.infer<typeof storedRecordSchema>;

/** Every field a record may hold; a save writes each of them, `null` where it has no value. */
export const STORED_RECORD_FIELDS = Object.keys(storedRecordSchema.shape) as (keyof StoredRecord)[];
