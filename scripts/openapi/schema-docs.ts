/**
 * What the OpenAPI document says about each schema and field, mostly in the words of the reference page
 * (docs/contract.md §2). It is a zod registry beside the schemas rather than `.meta()` on
 * them, so that only the build-time generator imports this text and the Worker bundle carries none of it.
 * A schema with an `id` becomes a named component (`#/components/schemas/<id>`).
 */
import * as z from "zod/mini";
import {
	crmEventSchema,
	eventActorSchema,
	eventConnectionSchema,
	historyResponseSchema,
} from "../../src/crm/events.ts";
import {
	API_KEY_MAX_BYTES,
	BULLHORN_FIELD_MAX_LENGTH,
	connectionStatusSchema,
	disconnectResponseSchema,
	NOT_IN_API_KEY,
	providerSchema,
	saveSettingsResponseSchema,
	settingsResponseSchema,
} from "../../src/crm/schemas.ts";
import { errorBodySchema, errorCodeSchema, errorDetailSchema } from "../../src/errors/error-body.ts";
import { healthResponseSchema } from "../../src/health/routes.ts";

export interface SchemaDoc {
	id?: string;
	description: string;
	examples?: unknown[];
	/** OpenAPI's discriminator of a `oneOf` of named schemas. */
	discriminator?: { propertyName: string; mapping: Record<string, string> };
}

export const schemaDocs = z.registry<SchemaDoc>();

const CONNECTED_AT = "2024-01-15T10:30:00.000Z";
/**
 * The Close key `npm run dev`'s Close stand-in accepts (`DEV_CLOSE_API_KEY` in scripts/dev-keys.ts, not
 * imported: that module needs Node's types, which the tests that import this one do not have).
 */
const DEV_CLOSE_API_KEY = "api_dev0000000000000000000.devsecret000000000000000";
/** The Bullhorn API user `npm run dev`'s Bullhorn stand-in knows (scripts/dev-keys.ts, likewise). */
const DEV_BULLHORN_USER = "dev.api";
const DEV_BULLHORN_PASSWORD = "dev-password";

schemaDocs.add(providerSchema, {
	id: "CrmProvider",
	description:
		"A CRM the API can connect: `close` — Close CRM, the sales communication platform; " +
		"`bullhorn` — Bullhorn CRM, staffing and recruiting software.",
});

/**
 * The request body as the document states it. The server validates with `saveSettingsRequestSchema`
 * (src/crm/schemas.ts), whose messages callers see; its rules that a plain object schema cannot carry
 * (the trim, the refusal of `verify` with Bullhorn, a client id only with its secret) are restated here as one object per way to connect, so the
 * document accepts exactly the bodies the server accepts. test/node/openapi-request-schema.test.ts holds
 * the two to that.
 */
const apiKeyMaxMiddle = API_KEY_MAX_BYTES - 2;
/**
 * `apiKey` as the server takes it: optional whitespace (what `String#trim` removes, which is exactly
 * ECMAScript's `\s`) around 1 to 2048 characters (the byte cap is in the description: a pattern counts
 * characters, and a key of at most 2048 bytes has at most 2048 of them) that start and end with a non-whitespace character and
 * contain none of `NOT_IN_API_KEY` (control, invisible formatting, default-ignorable, lone surrogate, private-use,
 * unassigned, blank filler). JSON Schema patterns are ECMA-262 regular expressions with Unicode semantics, so
 * `\p{…}` — general categories and binary properties such as `Default_Ignorable_Code_Point` — is in the dialect;
 * which code points are `Cn` depends on the validator's Unicode version, as it does on the server's.
 */
export const API_KEY_PATTERN = new RegExp(
	String.raw`^\s*(?:[^\s${NOT_IN_API_KEY}]|[^\s${NOT_IN_API_KEY}][^${NOT_IN_API_KEY}]{0,${apiKeyMaxMiddle}}[^\s${NOT_IN_API_KEY}])\s*$`,
	"u",
);
const API_KEY_DESCRIPTION =
	"The API key or authentication token for the CRM provider. Surrounding whitespace is removed; what " +
	`remains must be 1 character to ${API_KEY_MAX_BYTES} bytes in UTF-8 (Clerk counts metadata in bytes; the pattern can only ` +
	`bound the characters, at ${API_KEY_MAX_BYTES}) with no control, invisible, blank filler, private-use or unassigned ` +
	"characters: none of Unicode's `Cc`, `Cf`, `Default_Ignorable_Code_Point` (zero-width spaces, bidi overrides, " +
	"variation selectors, the combining grapheme joiner, Hangul fillers), `Cs` (lone surrogates), `Co` (private use) " +
	"or `Cn` (unassigned code points and noncharacters), nor the blank Braille pattern U+2800. It is stored in the organization's Clerk private metadata and never " +
	"returned in full: GET shows only a masked version.";
const apiKeyDoc = () => z.string().check(z.regex(API_KEY_PATTERN));

export const saveCloseRequestDoc = z.strictObject({
	provider: z.literal("close"),
	apiKey: apiKeyDoc(),
	verify: z.optional(z.boolean()),
});
export const saveBullhornApiKeyRequestDoc = z.strictObject({
	provider: z.literal("bullhorn"),
	apiKey: apiKeyDoc(),
	verify: z.optional(z.literal(false)),
});

/**
 * Bullhorn's own fields, as the server takes them (`bullhornLoginFormSchema`): a user name or client id
 * is trimmed, then 1 to BULLHORN_FIELD_MAX_LENGTH characters with no control character; a password or
 * client secret is kept as typed, with the same bounds.
 */
const trimmedFieldDoc = () =>
	z
		.string()
		.check(
			z.regex(
				new RegExp(
					String.raw`^\s*(?:[^\s\p{Cc}]|[^\s\p{Cc}][^\p{Cc}]{0,${BULLHORN_FIELD_MAX_LENGTH - 2}}[^\s\p{Cc}])\s*$`,
					"u",
				),
			),
		);
const keptFieldDoc = () =>
	z.string().check(z.regex(new RegExp(String.raw`^[^\p{Cc}]{1,${BULLHORN_FIELD_MAX_LENGTH}}$`, "u")));
const apiUserFields = {
	provider: z.literal("bullhorn"),
	username: trimmedFieldDoc(),
	password: keptFieldDoc(),
};
export const saveBullhornApiUserRequestDoc = z.strictObject(apiUserFields);
export const saveBullhornApiUserOwnClientRequestDoc = z.strictObject({
	...apiUserFields,
	clientId: trimmedFieldDoc(),
	clientSecret: keptFieldDoc(),
});
// Exclusive unions (`oneOf`): the forms are disjoint, strict objects with different required fields.
// An exclusive union (`oneOf`) of four disjoint strict objects. No `discriminator`: `provider` alone
// cannot tell Bullhorn's three forms apart, and a typed client narrows on `provider` and the fields anyway.
export const saveRequestDoc = z.xor([
	saveCloseRequestDoc,
	saveBullhornApiUserRequestDoc,
	saveBullhornApiUserOwnClientRequestDoc,
	saveBullhornApiKeyRequestDoc,
]);

schemaDocs.add(saveRequestDoc, {
	id: "SaveCrmSettingsRequest",
	description:
		"The CRM provider to connect and its credentials: Close by API key; Bullhorn by the organization's API user " +
		"(with the platform's Bullhorn API key, or the organization's own), or by an API key in the reference's form. " +
		"Fields other than these are refused. Connecting replaces whatever was connected before: an organization " +
		"has at most one CRM.",
	examples: [
		{ provider: "close", apiKey: DEV_CLOSE_API_KEY, verify: true },
		{ provider: "bullhorn", username: DEV_BULLHORN_USER, password: DEV_BULLHORN_PASSWORD },
	],
});
schemaDocs.add(saveCloseRequestDoc, {
	id: "SaveCloseCrmSettingsRequest",
	description: "Connect Close CRM, optionally checking the key with Close first.",
	examples: [{ provider: "close", apiKey: DEV_CLOSE_API_KEY, verify: true }],
});
schemaDocs.add(saveCloseRequestDoc.shape.provider, {
	description: "`close` — Close CRM, the sales communication platform.",
});
schemaDocs.add(saveCloseRequestDoc.shape.apiKey, {
	description: `${API_KEY_DESCRIPTION} Close keys have the form \`api_<id>.<secret>\`.`,
	examples: [DEV_CLOSE_API_KEY],
});
schemaDocs.add(saveCloseRequestDoc.shape.verify, {
	description:
		"Check the key with Close before saving it: one `GET /api/v1/me/` with the key. A key Close refuses is " +
		"a 400 `Close rejected the API key`, Close unreachable a 503, and nothing is saved in either case. " +
		"The example key is the one `npm run dev`'s Close accepts; the real Close refuses it.",
	examples: [true],
});
schemaDocs.add(saveBullhornApiUserRequestDoc, {
	id: "SaveBullhornApiUserRequest",
	description:
		"Connect Bullhorn by the organization's API user, signing in with the platform's Bullhorn API key. The " +
		"service signs in as Bullhorn documents (loginInfo, authorize, token, REST login): a wrong username or " +
		"password, or an API user that has not yet accepted Bullhorn's terms of service, is a 400 and nothing " +
		"is saved. The password is used for this one sign-in and never stored, logged or returned.",
	examples: [{ provider: "bullhorn", username: DEV_BULLHORN_USER, password: DEV_BULLHORN_PASSWORD }],
});
schemaDocs.add(saveBullhornApiUserRequestDoc.shape.provider, {
	description: "`bullhorn` — Bullhorn CRM, staffing and recruiting software.",
});
schemaDocs.add(saveBullhornApiUserRequestDoc.shape.username, {
	description: "The Bullhorn API user's name (surrounding whitespace is removed).",
	examples: [DEV_BULLHORN_USER],
});
schemaDocs.add(saveBullhornApiUserRequestDoc.shape.password, {
	description: "The API user's password, as typed. Used once to sign in; never stored.",
	examples: [DEV_BULLHORN_PASSWORD],
});
schemaDocs.add(saveBullhornApiUserOwnClientRequestDoc, {
	id: "SaveBullhornApiUserOwnClientRequest",
	description:
		"Connect Bullhorn by the organization's API user, signing in with the organization's own Bullhorn API " +
		"key (`clientId` and `clientSecret`, both). Bullhorn refusing that key is a 400. The client secret is " +
		"stored sealed, to sign in again; it is never returned.",
	examples: [
		{
			provider: "bullhorn",
			username: DEV_BULLHORN_USER,
			password: DEV_BULLHORN_PASSWORD,
			clientId: "your-bullhorn-client-id",
			clientSecret: "your-bullhorn-client-secret",
		},
	],
});
schemaDocs.add(saveBullhornApiUserOwnClientRequestDoc.shape.clientId, {
	description: "The client id of the organization's Bullhorn API key (surrounding whitespace is removed).",
	examples: ["your-bullhorn-client-id"],
});
schemaDocs.add(saveBullhornApiUserOwnClientRequestDoc.shape.clientSecret, {
	description: "The client secret of the organization's Bullhorn API key, as given.",
	examples: ["your-bullhorn-client-secret"],
});
schemaDocs.add(saveBullhornApiKeyRequestDoc, {
	id: "SaveBullhornApiKeyRequest",
	description:
		"The reference's form: a Bullhorn API key, stored as given. Bullhorn credentials cannot be checked with " +
		"one request (Bullhorn signs in through OAuth), so `verify` may only be `false` or absent (`true` is a " +
		"400), the connection stays `unverified`, and the platform's services cannot sign in with it: connect " +
		"the API user instead.",
	examples: [{ provider: "bullhorn", apiKey: "your-api-key-here" }],
});
schemaDocs.add(saveBullhornApiKeyRequestDoc.shape.provider, {
	description: "`bullhorn` — Bullhorn CRM, staffing and recruiting software.",
});
schemaDocs.add(saveBullhornApiKeyRequestDoc.shape.apiKey, {
	description: API_KEY_DESCRIPTION,
	examples: ["your-api-key-here"],
});
schemaDocs.add(saveBullhornApiKeyRequestDoc.shape.verify, {
	description: "Only `false` (the same as leaving it out): Bullhorn keys cannot be checked on save.",
	examples: [false],
});
schemaDocs.add(settingsResponseSchema.shape.apiUser, {
	description:
		"For Bullhorn connected by API user: the API user's name. (`apiKeyMasked` is then 24 `*`: there is no key.)",
	examples: [DEV_BULLHORN_USER],
});
schemaDocs.add(settingsResponseSchema.shape.dataCenter, {
	description: "For Bullhorn connected by API user: the host of the Bullhorn data center its REST API is in.",
	examples: ["rest91.bullhornstaffing.com"],
});

/**
 * The body of a 200 `GET`, told apart by `connected`. The server's type (`settingsResponseSchema`) is one
 * object with the connection's fields optional or nullable; the document states which go together. The
 * connected form extends the server's schema, so a field added there appears here.
 */
export const connectedSettingsDoc = z.extend(settingsResponseSchema, {
	connected: z.literal(true),
	provider: providerSchema,
	connectedAt: z.string(),
	apiKeyMasked: z.string(),
});
export const disconnectedSettingsDoc = z.object({
	connected: z.literal(false),
	provider: z.null(),
	apiKeyMasked: z.null(),
});
export const settingsResponseDoc = z.discriminatedUnion("connected", [
	connectedSettingsDoc,
	disconnectedSettingsDoc,
]);

schemaDocs.add(settingsResponseDoc, {
	id: "CrmSettings",
	description:
		"The organization's CRM connection: status, provider and a masked API key. `connected` tells the two " +
		"forms apart (OpenAPI's `discriminator` takes string values only, so each form fixes `connected` with `const`).",
	examples: [
		{
			connected: true,
			provider: "bullhorn",
			connectedAt: CONNECTED_AT,
			apiKeyMasked: "********************abc1",
			connectedBy: "user_2abcdefghijklmnopqrstuvwxyz",
			status: "unverified",
		},
		{ connected: false, provider: null, apiKeyMasked: null },
	],
});
schemaDocs.add(connectedSettingsDoc, {
	id: "ConnectedCrmSettings",
	description: "A CRM is connected.",
	examples: [
		{
			connected: true,
			provider: "close",
			connectedAt: CONNECTED_AT,
			apiKeyMasked: "********************7j7p",
			apiKeyId: "api_7b8KOSMa0OevK9qJvT6F9s",
			connectedBy: "user_2abcdefghijklmnopqrstuvwxyz",
			verifiedAt: CONNECTED_AT,
			status: "verified",
			checkedAt: CONNECTED_AT,
		},
	],
});
schemaDocs.add(connectedSettingsDoc.shape.connected, {
	description: "Always true here: a CRM is connected and enabled for the organization.",
});
schemaDocs.add(connectedSettingsDoc.shape.connectedAt, {
	description: "ISO-8601 timestamp (UTC, milliseconds) of when the CRM was connected.",
	examples: [CONNECTED_AT],
});
schemaDocs.add(connectedSettingsDoc.shape.apiKeyMasked, {
	description:
		"A masked version of the API key showing only its last 4 characters, for verification: 20 `*` then " +
		"those 4 (24 `*` for a key shorter than 16 characters, which would reveal too much; for a Close key `api_<id>.<secret>`, the secret part alone counts).",
	examples: ["********************abc1"],
});
schemaDocs.add(disconnectedSettingsDoc, {
	id: "DisconnectedCrmSettings",
	description: "No CRM is connected: no provider, no key and no `connectedAt`.",
	examples: [{ connected: false, provider: null, apiKeyMasked: null }],
});
schemaDocs.add(disconnectedSettingsDoc.shape.connected, {
	description: "Always false here: no CRM is connected.",
});
schemaDocs.add(disconnectedSettingsDoc.shape.provider, { description: "No provider: always null." });
schemaDocs.add(disconnectedSettingsDoc.shape.apiKeyMasked, { description: "No API key: always null." });

schemaDocs.add(settingsResponseSchema.shape.apiKeyId, {
	description:
		"The ID part of a Close key of the form `api_<id>.<secret>`, which Close documents as safe to share: " +
		"match it with the API keys page in Close. Only present for Close keys of that form.",
	examples: ["api_7b8KOSMa0OevK9qJvT6F9s"],
});
schemaDocs.add(settingsResponseSchema.shape.connectedBy, {
	description:
		"The Clerk user ID of the member who connected the CRM. Absent for connections saved before it was recorded.",
	examples: ["user_2abcdefghijklmnopqrstuvwxyz"],
});

schemaDocs.add(settingsResponseSchema.shape.verifiedAt, {
	description:
		"ISO-8601 timestamp of the last time the CRM accepted the key: a save with `verify: true` or a re-check. Absent for keys never verified.",
	examples: [CONNECTED_AT],
});

schemaDocs.add(settingsResponseSchema.shape.status, {
	description:
		"The connection's health: `verified` — the CRM accepted the key at the last check; `unverified` — never checked " +
		"(saved without `verify`, and every Bullhorn key); `rejected` — the CRM refused the key at the last check, or a " +
		"platform service using the key reported a 401/403 from the CRM. A rejected connection stays connected until an admin " +
		"reconnects or disconnects it. Re-check with `POST /api/v1/operations/crm/settings/verify`.",
	examples: ["verified"],
});
schemaDocs.add(settingsResponseSchema.shape.checkedAt, {
	description:
		"ISO-8601 timestamp of the last check of the key with the CRM (a verified save, a re-check, a reported rejection). Absent when never checked.",
	examples: [CONNECTED_AT],
});

schemaDocs.add(saveSettingsResponseSchema, {
	id: "SaveCrmSettingsResponse",
	description: "The CRM is connected.",
	examples: [{ success: true, provider: "bullhorn", connectedAt: CONNECTED_AT }],
});
schemaDocs.add(saveSettingsResponseSchema.shape.success, {
	description: "Indicates the settings were saved successfully. Always true for successful responses.",
});
schemaDocs.add(saveSettingsResponseSchema.shape.connectedAt, {
	description: "ISO-8601 timestamp (UTC, milliseconds) of when the CRM was connected.",
	examples: [CONNECTED_AT],
});

schemaDocs.add(saveSettingsResponseSchema.shape.verified, {
	description: "Present, and true, when the request asked for `verify` and the CRM accepted the key.",
});

schemaDocs.add(disconnectResponseSchema, {
	id: "DisconnectCrmResponse",
	description: "The CRM is disconnected (also when none was connected); every CRM setting is removed.",
	examples: [{ success: true, disconnected: true }],
});
schemaDocs.add(disconnectResponseSchema.shape.success, {
	description: "Indicates the CRM was successfully disconnected. Always true for successful responses.",
});
schemaDocs.add(disconnectResponseSchema.shape.disconnected, {
	description: "Confirms the CRM has been disconnected. Always true for successful responses.",
});

const EXAMPLE_EVENT = {
	id: "org_2abcdefghijklmnopqrstuvwxyz-2",
	seq: 2,
	type: "replaced",
	orgId: "org_2abcdefghijklmnopqrstuvwxyz",
	provider: "close",
	at: CONNECTED_AT,
	by: { userId: "user_2abcdefghijklmnopqrstuvwxyz" },
	connection: { provider: "close", connectedAt: CONNECTED_AT, apiKeyId: "api_7b8KOSMa0OevK9qJvT6F9s" },
	previous: {
		provider: "close",
		connectedAt: "2024-01-10T09:00:00.000Z",
		apiKeyId: "api_4fOldKey0000000000000",
	},
};
schemaDocs.add(connectionStatusSchema, {
	id: "CrmConnectionStatus",
	description:
		"A connection's health: `verified` (the CRM accepted the credential at the last check), `unverified` (never checked), " +
		"`rejected` (the CRM refused it at the last check, or a platform service reported a refusal).",
});
schemaDocs.add(historyResponseSchema, {
	id: "CrmEventHistory",
	description: "A page of the organization's CRM connection events, newest first.",
	examples: [{ events: [EXAMPLE_EVENT], nextCursor: null }],
});
schemaDocs.add(historyResponseSchema.shape.events, { description: "The events of this page, newest first." });
schemaDocs.add(historyResponseSchema.shape.nextCursor, {
	description: "Pass as `?cursor=` for the next (older) page; null on the last page.",
});
schemaDocs.add(crmEventSchema, {
	id: "CrmEvent",
	description:
		"One acknowledged change of the organization's CRM connection: never a key, token, password or secret. " +
		"The platform's services receive the same events on the `crm-events` queue.",
	examples: [EXAMPLE_EVENT],
});
schemaDocs.add(crmEventSchema.shape.id, {
	description: "The event's id, the same on every delivery: deduplicate by it.",
	examples: [EXAMPLE_EVENT.id],
});
schemaDocs.add(crmEventSchema.shape.seq, {
	description: "The organization's event number (1, 2, 3…): order by it, and tell a gap.",
	examples: [2],
});
schemaDocs.add(crmEventSchema.shape.type, {
	description:
		"`connected` (nothing was connected), `replaced` (a save over a connection), `disconnected`, or " +
		"`health_changed` (the connection's `status` changed: a re-check, a reported rejection, Bullhorn refusing its stored sign-in).",
	examples: ["replaced"],
});
schemaDocs.add(crmEventSchema.shape.orgId, {
	description: "The Clerk organization.",
	examples: [EXAMPLE_EVENT.orgId],
});
schemaDocs.add(crmEventSchema.shape.at, {
	description: "When the change was acknowledged (ISO 8601, UTC).",
	examples: [CONNECTED_AT],
});
schemaDocs.add(eventActorSchema, {
	id: "CrmEventActor",
	description:
		"Who made the change: an admin (`userId`), a platform service through the RPC entrypoint (`service`: its method), or a job.",
	examples: [{ userId: "user_2abcdefghijklmnopqrstuvwxyz" }, { service: "reportRejected" }],
});
schemaDocs.add(eventConnectionSchema, {
	id: "CrmEventConnection",
	description: "Which connection: what an admin recognizes it by, nothing secret.",
	examples: [EXAMPLE_EVENT.connection],
});
schemaDocs.add(eventConnectionSchema.shape.connectedAt, {
	description: "When the connection was made: with the provider, it names the connection.",
	examples: [CONNECTED_AT],
});
schemaDocs.add(eventConnectionSchema.shape.apiKeyId, {
	description: "A Close key's shareable id (`api_…`); null for other keys.",
	examples: ["api_7b8KOSMa0OevK9qJvT6F9s"],
});
schemaDocs.add(eventConnectionSchema.shape.apiUser, {
	description: "A Bullhorn connection's API user.",
	examples: ["acme.api"],
});
schemaDocs.add(crmEventSchema.shape.previous, { description: "For `replaced`: the connection it replaced." });
schemaDocs.add(crmEventSchema.shape.health, {
	description:
		"For `health_changed`: the status before and after; `reconnectNeeded` when Bullhorn refused the stored sign-in (an admin must connect again).",
	examples: [{ from: "verified", to: "rejected" }],
});

schemaDocs.add(errorBodySchema, {
	id: "ErrorBody",
	description: "The body of every error response.",
});
schemaDocs.add(errorBodySchema.shape.error, {
	description:
		"What went wrong, for people: safe to show, never an upstream message, a stack trace or a secret.",
	examples: ["Request body is invalid"],
});
schemaDocs.add(errorCodeSchema, {
	id: "ErrorCode",
	description: "What went wrong, for programs. Each code comes with one HTTP status.",
});
schemaDocs.add(errorBodySchema.shape.requestId, {
	description: "The request's ID, also sent as the `X-Request-Id` header: quote it when reporting a problem.",
	examples: ["5f0c6e9e-8a4b-4c1e-9d2a-3b7f1e6a0c42"],
});
schemaDocs.add(errorBodySchema.shape.details, {
	description: "For an invalid request body: one entry for each problem with a field.",
});
schemaDocs.add(errorDetailSchema, {
	id: "ErrorDetail",
	description: "One problem with one field of the request body.",
});
schemaDocs.add(errorDetailSchema.shape.path, {
	description: "Dotted path of the field at fault; empty for the body as a whole.",
	examples: ["apiKey"],
});
schemaDocs.add(errorDetailSchema.shape.message, {
	description: "What is wrong with the field.",
	examples: ["apiKey must not be empty or blank"],
});

schemaDocs.add(healthResponseSchema, {
	id: "HealthResponse",
	description: "The Worker is up. It answers without authentication and without calling Clerk.",
	examples: [{ status: "ok" }],
});
schemaDocs.add(healthResponseSchema.shape.status, {
	description: "Always `ok`: an answer at all is the signal.",
	examples: ["ok"],
});
