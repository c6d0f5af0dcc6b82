/**
 * Builds the OpenAPI 3.1 document of the API from the zod schemas that validate requests and type
 * responses and errors, described by the registry in schema-docs.ts. It runs at build time only
 * (`npm run openapi` writes openapi.json, which the Worker serves), so zod's JSON Schema conversion and
 * all this text stay out of the Worker bundle.
 */
import * as z from "zod/mini";
import packageJson from "../../package.json" with { type: "json" };
import { ORGANIZATION_ID_REQUIRED } from "../../src/errors/messages.ts";
import { errorResponses } from "./error-responses.ts";
import { operationPaths } from "./operations.ts";
import { schemaDocs } from "./schema-docs.ts";

type Json = Record<string, unknown>;

/**
 * The whole document. Schemas come from zod's `toJSONSchema` over the registry, so a field added to a
 * schema appears here at the next `npm run openapi` with nothing else to edit.
 *
 * @example
 * writeFileSync("src/openapi/openapi.json", JSON.stringify(buildOpenApiDocument(), null, "\t"));
 */
export function buildOpenApiDocument(): Json {
	return {
		openapi: "3.1.1",
		info: {
			title: "CRM settings API",
			version: packageJson.version,
			description: [
				"Connect one CRM (Close or Bullhorn) to an organization by API key, read the connection with the key " +
					"masked, and disconnect it. The organization is always the active organization of the caller's " +
					"Clerk session: nothing in a request can name another.",
				`Every failure answers the same body (\`ErrorBody\`). A request without valid authentication answers 400 with the message \`${ORGANIZATION_ID_REQUIRED}\`, not 401. ` +
					"A path this document does not list answers the `NotFound` response, and a method a listed path " +
					"does not offer answers `MethodNotAllowed`.",
				"Responses may gain fields over time (documented fields never change shape): clients should ignore fields they do not know.",
			].join("\n\n"),
		},
		// Relative: the Worker that serves this document at `GET /api/v1/openapi.json` is the API, whatever its
		// host (a workers.dev name, a custom domain, `npm run dev`'s localhost); a fixed URL would be wrong for all
		// but one deployment.
		servers: [
			{
				url: "/",
				description:
					"The Worker that serves this document (the origin of `GET /api/v1/openapi.json`), e.g. `http://localhost:8787` under `npm run dev`.",
			},
		],
		tags: [
			{ name: "CRM settings", description: "The organization's CRM connection." },
			{ name: "Health", description: "Whether the Worker is up." },
			{ name: "Documentation", description: "This document." },
		],
		security: [{ clerkSession: [] }],
		paths: operationPaths(),
		components: {
			schemas: componentSchemas(),
			responses: errorResponses(),
			parameters: {
				RequestId: {
					name: "X-Request-Id",
					in: "header",
					required: false,
					description:
						"Your own ID for the request, echoed in the `X-Request-Id` response header and an error body's `requestId` when it is " +
						"well formed: 1–128 characters, each a letter, digit, `_`, `-` or `=`. Any other value is not refused: " +
						"the request goes ahead under a generated ID, as when the header is absent.",
					// Any string: a malformed ID is replaced, never refused, so no pattern or length limit here.
					schema: { type: "string" },
					example: "checkout-7f3a9c",
				},
			},
			headers: {
				RequestId: {
					description:
						"The request's ID, also in an error body's `requestId`: quote it when reporting a problem.",
					required: true,
					schema: { type: "string" },
					example: "5f0c6e9e-8a4b-4c1e-9d2a-3b7f1e6a0c42",
				},
				CacheControl: {
					description: "Responses are never cached.",
					required: true,
					schema: { type: "string", const: "no-store" },
					example: "no-store",
				},
				RetryAfter: {
					description: "Seconds to wait before trying again.",
					required: true,
					schema: { type: "integer", minimum: 0 },
					example: 30,
				},
				Allow: {
					description: "The methods the path offers.",
					required: true,
					schema: { type: "string" },
					example: "GET, HEAD, POST, DELETE, OPTIONS",
				},
			},
			securitySchemes: {
				clerkSession: {
					type: "http",
					scheme: "bearer",
					bearerFormat: "JWT",
					description:
						"A Clerk session token (v1 or v2) whose session has an active organization: the settings read or changed are that organization's. " +
						`Without one, or with an invalid or expired one, the API answers 400 \`${ORGANIZATION_ID_REQUIRED}\`.`,
				},
			},
		},
	};
}

/**
 * Every registry schema that has an `id`, as JSON Schema 2020-12 (OpenAPI 3.1's dialect). Response
 * objects are left open (no `additionalProperties: false`): docs/contract.md §2 lets responses gain fields, and
 * clients must not break when they do. `z.strictObject` request bodies stay closed.
 */
function componentSchemas(): Json {
	const convert = (io: "input" | "output") =>
		z.toJSONSchema(schemaDocs, {
			io,
			metadata: schemaDocs,
			uri: (id) => `#/components/schemas/${id}`,
			override: ({ zodSchema, jsonSchema }) => {
				const def = zodSchema._zod.def;
				if (def.type === "object" && def.catchall === undefined) delete jsonSchema.additionalProperties;
			},
		}).schemas;
	const input = convert("input");
	const output = convert("output");

	const components: Json = {};
	for (const [id, schema] of Object.entries(output)) {
		// One component serves both directions; a default or transform would make them differ.
		if (JSON.stringify(input[id]) !== JSON.stringify(schema)) {
			throw new Error(`Schema ${id} has a different shape as input than as output: document them apart`);
		}
		const { $schema: _dialect, $id: _id, ...rest } = schema;
		components[id] = rest;
	}
	return components;
}
