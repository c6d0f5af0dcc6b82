/**
 * The operations of the OpenAPI document: which request each path and method takes and which
 * responses it may answer. Schemas, error responses and headers are referenced from `components`.
 */
import { SETTINGS_PATH, VERIFY_PATH } from "../../src/crm/routes.ts";
import { HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT } from "../../src/crm/schemas.ts";
import { HEALTH_PATH } from "../../src/health/routes.ts";
import { HISTORY } from "../../src/http/paths.ts";
import { MAX_BODY_BYTES } from "../../src/middleware/json-body.ts";
import { OPENAPI_PATH } from "../../src/openapi/routes.ts";

const schemaRef = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` });
const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });

/** Headers every response carries. */
export const COMMON_HEADERS = {
	"X-Request-Id": headerRef("RequestId"),
	"Cache-Control": headerRef("CacheControl"),
};

const ok = (description: string, schemaId: string, links?: Record<string, unknown>) => ({
	description,
	headers: COMMON_HEADERS,
	content: { "application/json": { schema: schemaRef(schemaId) } },
	...(links ? { links } : {}),
});

/**
 * `HEAD` is answered wherever `GET` is, with GET's status and headers and no body. It is said in words
 * rather than as `head` operations: those would repeat every GET response, and
 * test/documented-responses.test.ts requires each declared response to be received there.
 */
const HEAD_TOO = " `HEAD` on this path answers as `GET` does — same status and headers — without a body.";

/** OPTIONS on a settings path: the CORS preflight, the same for each. */
const preflight = (operationId: string) => ({
	tags: ["CRM settings"],
	operationId,
	summary: "CORS preflight",
	description:
		"Answered for browsers; the `Access-Control-Allow-*` headers are present only for the front-end origins the deployment allows. With no origins configured, a plain answer with `Allow` and no `Access-Control-*` header.",
	security: [],
	responses: {
		204: { description: "Preflight answered.", headers: COMMON_HEADERS },
		500: responseRef("InternalError"),
	},
});

/** The read that shows what a write left behind. */
const readBack = (description: string) => ({
	getCrmSettings: { operationId: "getCrmSettings", description },
});

/**
 * What `GET /api/v1/openapi.json` answers: an OpenAPI 3.1 document, this one. Open (`additionalProperties`),
 * like any OpenAPI document, which may carry fields and extensions beyond these.
 */
const OPENAPI_DOCUMENT_SCHEMA = {
	type: "object",
	description: "An OpenAPI 3.1 document: the one that describes this API.",
	required: ["openapi", "info", "paths"],
	properties: {
		openapi: { type: "string", pattern: "^3\\.1\\.\\d+$", description: "The OpenAPI version, 3.1.x." },
		info: {
			type: "object",
			description: "The API's title, version and description.",
			required: ["title", "version"],
			properties: {
				title: { type: "string", description: "The API's name." },
				version: { type: "string", description: "The API's version (the package's)." },
			},
			additionalProperties: true,
		},
		paths: {
			type: "object",
			description: "The API's paths and their operations.",
			additionalProperties: true,
		},
	},
	additionalProperties: true,
};

/**
 * The document's `paths`. A status an operation does not list here is one the contract test refuses.
 *
 * @example
 * operationPaths()["/api/v1/openapi.json"].get.security; // [] — public
 */
export function operationPaths() {
	return {
		[SETTINGS_PATH]: {
			parameters: [{ $ref: "#/components/parameters/RequestId" }],
			get: {
				tags: ["CRM settings"],
				operationId: "getCrmSettings",
				summary: "Get CRM settings",
				description: `Retrieve the current CRM settings of the organization: connection status, provider and a masked API key. Any member of the organization may read them.${HEAD_TOO}`,
				responses: {
					200: ok("The organization's CRM settings.", "CrmSettings"),
					400: responseRef("OrganizationIdRequired"),
					404: responseRef("NotFound"),
					500: responseRef("InternalError"),
					503: responseRef("UpstreamUnavailable"),
				},
			},
			post: {
				tags: ["CRM settings"],
				operationId: "saveCrmSettings",
				summary: "Save CRM settings",
				description:
					"Connect a CRM provider to the organization by saving the provider and its API key, replacing any CRM connected before. Needs a role that may change CRM settings (by default `org:admin`).",
				requestBody: {
					required: true,
					description: `A JSON object of at most ${MAX_BODY_BYTES} bytes, sent as \`Content-Type: application/json\` with no parameter or only \`charset=utf-8\` (anything else is a 415).`,
					content: { "application/json": { schema: schemaRef("SaveCrmSettingsRequest") } },
				},
				responses: {
					200: ok(
						"The CRM is connected.",
						"SaveCrmSettingsResponse",
						readBack("Read the connection just saved, with its key masked."),
					),
					400: responseRef("ValidationError"),
					403: responseRef("Forbidden"),
					404: responseRef("NotFound"),
					413: responseRef("PayloadTooLarge"),
					415: responseRef("UnsupportedMediaType"),
					429: responseRef("RateLimited"),
					500: responseRef("InternalError"),
					503: responseRef("UpstreamUnavailable"),
				},
			},
			delete: {
				tags: ["CRM settings"],
				operationId: "disconnectCrm",
				summary: "Disconnect CRM",
				description:
					"Disconnect the CRM from the organization, removing every CRM setting including the stored API key. Succeeds also when nothing was connected. Needs a role that may change CRM settings.",
				responses: {
					200: ok(
						"The CRM is disconnected.",
						"DisconnectCrmResponse",
						readBack("Read the settings: `connected` is now false."),
					),
					400: responseRef("OrganizationIdRequired"),
					403: responseRef("Forbidden"),
					404: responseRef("NotFound"),
					429: responseRef("RateLimited"),
					500: responseRef("InternalError"),
					503: responseRef("UpstreamUnavailable"),
				},
			},
			options: preflight("preflightCrmSettings"),
		},
		[VERIFY_PATH]: {
			parameters: [{ $ref: "#/components/parameters/RequestId" }],
			post: {
				tags: ["CRM settings"],
				operationId: "verifyCrmConnection",
				summary: "Re-check the stored key",
				description:
					"Check the stored credential with the CRM again and record the outcome as the connection's `status` (`verified` or " +
					"`rejected`) and `checkedAt`: for Close, one `GET /api/v1/me/` with the key, which is decrypted inside the service " +
					"and never leaves it; for Bullhorn connected by API user, a `ping` with the organization's REST session (signing in " +
					"again with the stored refresh token when needed). Takes no body. Answers the settings as `GET` now shows them; a " +
					"credential the CRM refuses is a 200 with `status: rejected` (the connection stays until an admin replaces or removes " +
					"it). The CRM unreachable changes nothing (503). A Bullhorn key saved in the reference's form cannot be checked (400). " +
					"Needs a role that may change CRM settings, and counts against the same write limit as a save.",
				responses: {
					200: ok("The key was checked; the settings show the outcome.", "ConnectedCrmSettings"),
					400: responseRef("ValidationError"),
					403: responseRef("Forbidden"),
					404: responseRef("NotFound"),
					429: responseRef("RateLimited"),
					500: responseRef("InternalError"),
					503: responseRef("UpstreamUnavailable"),
				},
			},
			options: preflight("preflightCrmVerify"),
		},
		[HISTORY.path]: {
			parameters: [{ $ref: "#/components/parameters/RequestId" }],
			get: {
				tags: ["CRM settings"],
				operationId: "getCrmHistory",
				summary: "Audit history",
				description:
					"The organization's CRM connection events, newest first: who connected, replaced or disconnected which " +
					"connection, and when its health changed — the same events the platform receives on its queue. Kept for the " +
					"last 1,000 events and at most a year. Needs a role that may change CRM settings." +
					HEAD_TOO,
				parameters: [
					{
						name: "limit",
						in: "query",
						required: false,
						description: `How many events, from 1 to ${HISTORY_MAX_LIMIT}; ${HISTORY_DEFAULT_LIMIT} when absent.`,
						schema: { type: "string", pattern: "^[0-9]{1,3}$", examples: ["20"] },
					},
					{
						name: "cursor",
						in: "query",
						required: false,
						description: "The `nextCursor` of the page before, for the next (older) page.",
						schema: { type: "string", pattern: "^[A-Za-z0-9_-]{1,40}$" },
					},
				],
				responses: {
					200: ok("The events, newest first.", "CrmEventHistory"),
					400: responseRef("ValidationError"),
					403: responseRef("Forbidden"),
					500: responseRef("InternalError"),
				},
			},
			options: preflight("preflightCrmHistory"),
		},
		[HEALTH_PATH]: {
			get: {
				tags: ["Health"],
				operationId: "getHealth",
				summary: "Health check",
				description: `Public: needs no authentication, reads no configuration and makes no call to Clerk.${HEAD_TOO}`,
				security: [],
				responses: {
					200: ok("The Worker is up.", "HealthResponse"),
				},
			},
		},
		[OPENAPI_PATH]: {
			get: {
				tags: ["Documentation"],
				operationId: "getOpenApiDocument",
				summary: "This OpenAPI document",
				description: `Public: needs no authentication.${HEAD_TOO}`,
				security: [],
				responses: {
					200: {
						description: "The OpenAPI 3.1 document of this API.",
						headers: COMMON_HEADERS,
						content: {
							"application/json": {
								schema: OPENAPI_DOCUMENT_SCHEMA,
							},
						},
					},
				},
			},
		},
	};
}
