/**
 * What the OpenAPI document says about each schema and field, mostly in the words of the reference page
 * (docs/contract.md §2). It is a zod registry beside the schemas rather than `.meta()` on
 * them, so that only the build-time generator imports this text and the Worker bundle carries none of it.
 * A schema with an `id` becomes a named component (`#/components/schemas/<id>`).
 */
import * as z from "zod/mini";
import {
	disconnectResponseSchema,
	providerSchema,
	saveSettingsRequestSchema,
	saveSettingsResponseSchema,
	settingsResponseSchema,
} from "../../src/crm/schemas.ts";
import { errorBodySchema, errorCodeSchema, errorDetailSchema } from "../../src/errors/error-body.ts";
import { healthResponseSchema } from "../../src/health/routes.ts";

export interface SchemaDoc {
	id?: string;
	description: string;
	examples?: unknown[];
}

export const schemaDocs = z.registry<SchemaDoc>();

const CONNECTED_AT = "2024-01-15T10:30:00.000Z";

schemaDocs.add(providerSchema, {
	id: "CrmProvider",
	description:
		"A CRM the API can connect: `close` — Close CRM, the sales communication platform; " +
		"`bullhorn` — Bullhorn CRM, staffing and recruiting software.",
});

schemaDocs.add(saveSettingsRequestSchema, {
	id: "SaveCrmSettingsRequest",
	description:
		"The CRM provider to connect and its credentials. Fields other than these are refused. " +
		"Connecting replaces whatever was connected before: an organization has at most one CRM.",
	examples: [{ provider: "bullhorn", apiKey: "your-api-key-here" }],
});
schemaDocs.add(saveSettingsRequestSchema.shape.apiKey, {
	description:
		"The API key or authentication token for the CRM provider. Surrounding whitespace is removed; what " +
		"remains must be non-empty and free of control and invisible formatting characters. It is stored in the organization's Clerk " +
		"private metadata and never returned in full: GET shows only a masked version.",
	examples: ["your-api-key-here"],
});

schemaDocs.add(saveSettingsRequestSchema.shape.verify, {
	description:
		"Check the key with the CRM before saving it. Close: one `GET /api/v1/me/` with the key; a key Close " +
		"refuses is a 400 `Close rejected the API key`, Close unreachable a 503, and nothing is saved in either " +
		"case. Bullhorn credentials cannot be checked with one request (OAuth), so `true` with Bullhorn is a 400.",
	examples: [true],
});

schemaDocs.add(settingsResponseSchema, {
	id: "CrmSettings",
	description: "The organization's CRM connection: status, provider and a masked API key.",
	examples: [
		{
			connected: true,
			provider: "bullhorn",
			connectedAt: CONNECTED_AT,
			apiKeyMasked: "********************abc1",
			connectedBy: "user_2abcdefghijklmnopqrstuvwxyz",
		},
		{ connected: false, provider: null, apiKeyMasked: null },
	],
});
schemaDocs.add(settingsResponseSchema.shape.connected, {
	description: "Indicates whether a CRM is currently connected and enabled for the organization.",
});
schemaDocs.add(settingsResponseSchema.shape.provider, {
	description: "The CRM provider currently configured; null if no CRM is connected.",
});
schemaDocs.add(settingsResponseSchema.shape.connectedAt, {
	description:
		"ISO-8601 timestamp (UTC, milliseconds) of when the CRM was connected. Only present if a CRM is connected.",
	examples: [CONNECTED_AT],
});
schemaDocs.add(settingsResponseSchema.shape.apiKeyMasked, {
	description:
		"A masked version of the API key showing only its last 4 characters, for verification: 20 `*` then " +
		"those 4 (24 `*` for a key shorter than 16 characters, which would reveal too much). null if no API " +
		"key is configured.",
	examples: ["********************abc1"],
});
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
		"ISO-8601 timestamp of the save at which the CRM accepted the key (`verify: true`). Absent for keys saved unverified.",
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
