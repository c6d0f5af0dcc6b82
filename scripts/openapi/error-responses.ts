/**
 * The error responses of the OpenAPI document (docs/contract.md §3): one per error code, plus the reference's
 * `Organization ID required`, the other meaning of 400. Keyed by `ErrorCode`, so a code added to
 * `ERROR_STATUS` does not type-check until it is documented here.
 */

import { BULLHORN_UNCHECKABLE } from "../../src/crm/schemas.ts";
import { ERROR_STATUS, type ErrorCode } from "../../src/errors/api-error.ts";
import type { ErrorBody } from "../../src/errors/error-body.ts";
import {
	BODY_INVALID,
	BODY_NOT_JSON_MEDIA_TYPE,
	BODY_NOT_VALID_JSON,
	BULLHORN_CLIENT_REFUSED,
	BULLHORN_NO_CLIENT,
	BULLHORN_RECONNECT,
	BULLHORN_SIGN_IN_REFUSED,
	BULLHORN_UNREACHABLE,
	bodyTooLarge,
	CLERK_UNAVAILABLE,
	CLOSE_REJECTED_KEY,
	CLOSE_UNREACHABLE,
	CLOSE_UNREACHABLE_ON_CHECK,
	INTERNAL_SERVER_ERROR,
	METADATA_FULL,
	methodNotAllowed,
	NOTHING_TO_CHECK,
	noSuchEndpoint,
	ORGANIZATION_ID_REQUIRED,
	ORGANIZATION_NOT_IN_CLERK,
	QUERY_INVALID,
	TOO_MANY_WRITES,
	WRITE_ROLE_REQUIRED,
} from "../../src/errors/messages.ts";
import { MAX_BODY_BYTES } from "../../src/middleware/json-body.ts";
import { COMMON_HEADERS } from "./operations.ts";

type Example = Pick<ErrorBody, "error" | "details">;

interface ErrorResponseDoc {
	/** The component's name under `#/components/responses/`. */
	name: string;
	description: string;
	examples: Record<string, { summary: string; value: Example }>;
	/** Headers this response carries besides the ones every response does. */
	headers?: Record<string, string>;
}

const REQUEST_ID_EXAMPLE = "5f0c6e9e-8a4b-4c1e-9d2a-3b7f1e6a0c42";

const organizationIdRequired = {
	summary: "No valid authentication, or no active organization in the session",
	value: { error: ORGANIZATION_ID_REQUIRED },
};

const ERROR_RESPONSES: Record<ErrorCode, ErrorResponseDoc> = {
	VALIDATION_ERROR: {
		name: "ValidationError",
		description:
			"Either the request body is invalid (malformed JSON, wrong types, unknown provider, an empty, blank or oversized `apiKey` or one with a control, invisible, blank filler, private-use or unassigned character, an unknown field), with `details` naming each field at fault; " +
			`or the request has no valid authentication, with the message \`${ORGANIZATION_ID_REQUIRED}\`.`,
		examples: {
			invalidBody: {
				summary: "Invalid fields",
				value: {
					error: BODY_INVALID,
					details: [
						{ path: "provider", message: 'provider must be "close" or "bullhorn"' },
						{ path: "apiKey", message: "apiKey must not be empty or blank" },
					],
				},
			},
			malformedJson: {
				summary: "A body that does not parse as JSON",
				value: { error: BODY_NOT_VALID_JSON },
			},
			closeRejected: {
				summary: "`verify: true` and Close refused the key",
				value: {
					error: CLOSE_REJECTED_KEY,
					details: [{ path: "apiKey", message: CLOSE_REJECTED_KEY }],
				},
			},
			metadataFull: {
				summary: "The organization's Clerk metadata is full",
				value: { error: METADATA_FULL },
			},
			bullhornUncheckable: {
				summary: "A re-check of a Bullhorn key",
				value: { error: BULLHORN_UNCHECKABLE },
			},
			bullhornSignInRefused: {
				summary: "Bullhorn refused the API user's sign-in",
				value: { error: BULLHORN_SIGN_IN_REFUSED },
			},
			bullhornClientRefused: {
				summary: "Bullhorn refused the organization's own client",
				value: { error: BULLHORN_CLIENT_REFUSED },
			},
			bullhornNoClient: {
				summary: "No Bullhorn client given, and the platform has none",
				value: { error: BULLHORN_NO_CLIENT },
			},
			bullhornReconnect: {
				summary: "Bullhorn refused the stored sign-in (re-check): reconnect",
				value: { error: BULLHORN_RECONNECT },
			},
			queryInvalid: {
				summary: "A history query out of bounds",
				value: {
					error: QUERY_INVALID,
					details: [{ path: "limit", message: "limit must be a whole number from 1 to 100" }],
				},
			},
			organizationIdRequired,
		},
	},
	FORBIDDEN: {
		name: "Forbidden",
		description: "The caller is a member of the organization whose role may not change CRM settings.",
		examples: {
			forbidden: {
				summary: "A role that may only read",
				value: { error: WRITE_ROLE_REQUIRED },
			},
		},
	},
	NOT_FOUND: {
		name: "NotFound",
		description:
			"No such path (answered for every path this document does not list); on the settings paths, Clerk has no organization with the session's organization id (deleted while the session lives on); on a re-check, no CRM is connected (or it was disconnected while its key was being checked).",
		examples: {
			notFound: { summary: "Unknown path", value: { error: noSuchEndpoint("GET") } },
			organizationNotInClerk: {
				summary: "The session's organization no longer exists in Clerk",
				value: { error: ORGANIZATION_NOT_IN_CLERK },
			},
			nothingToCheck: {
				summary: "A re-check with no CRM connected",
				value: { error: NOTHING_TO_CHECK },
			},
		},
	},
	METHOD_NOT_ALLOWED: {
		name: "MethodNotAllowed",
		description:
			"The path does not offer this method; `Allow` lists those it does. Answered for every method a listed path does not offer.",
		examples: {
			methodNotAllowed: {
				summary: "PUT instead of POST",
				value: { error: methodNotAllowed("PUT", "GET, HEAD, POST, DELETE, OPTIONS") },
			},
		},
		headers: { Allow: "Allow" },
	},
	PAYLOAD_TOO_LARGE: {
		name: "PayloadTooLarge",
		description: `The request body is larger than ${MAX_BODY_BYTES} bytes.`,
		examples: {
			tooLarge: {
				summary: "An oversized body",
				value: { error: bodyTooLarge(MAX_BODY_BYTES) },
			},
		},
	},
	UNSUPPORTED_MEDIA_TYPE: {
		name: "UnsupportedMediaType",
		description:
			"The request body is not labelled `Content-Type: application/json`, with no parameter or only `charset=utf-8` " +
			"(case-insensitive, the value may be quoted): a missing `Content-Type`, `text/plain`, a `+json` type such as " +
			"`application/merge-patch+json`, another charset or any other parameter. Answered before the body is read.",
		examples: {
			notJson: {
				summary: "A body sent as `text/plain`, or with `charset=utf-16`",
				value: { error: BODY_NOT_JSON_MEDIA_TYPE },
			},
		},
	},
	RATE_LIMITED: {
		name: "RateLimited",
		description:
			"The organization changed its CRM settings too often; try again after `Retry-After` seconds.",
		examples: {
			rateLimited: {
				summary: "More than 10 changes in a minute",
				value: { error: TOO_MANY_WRITES },
			},
		},
		headers: { "Retry-After": "RetryAfter" },
	},
	INTERNAL_ERROR: {
		name: "InternalError",
		description:
			"Anything else: bad configuration (Clerk refusing the secret key included), an upstream answer that makes no sense, the unexpected. The message never carries upstream text, stack traces or secrets; quote `requestId` when reporting it.",
		examples: { internal: { summary: "Any server-side failure", value: { error: INTERNAL_SERVER_ERROR } } },
	},
	UPSTREAM_UNAVAILABLE: {
		name: "UpstreamUnavailable",
		description:
			"Clerk is throttling or failing past the retry budget (and, for a GET, no recent copy of the settings can answer instead), or the CRM could not be reached: Close for a save with `verify: true` or a re-check, Bullhorn to sign in. Nothing was changed. Try again after `Retry-After` seconds.",
		examples: {
			clerkUnavailable: {
				summary: "Clerk throttling or failing",
				value: { error: CLERK_UNAVAILABLE },
			},
			closeUnreachable: {
				summary: "Close could not be reached",
				value: { error: CLOSE_UNREACHABLE },
			},
			closeUnreachableOnCheck: {
				summary: "Close could not be reached for a re-check",
				value: { error: CLOSE_UNREACHABLE_ON_CHECK },
			},
			bullhornUnreachable: {
				summary: "Bullhorn could not be reached",
				value: { error: BULLHORN_UNREACHABLE },
			},
		},
		headers: { "Retry-After": "RetryAfter" },
	},
};

/**
 * `#/components/responses` for the errors: each names its status's one code in the body schema and
 * gives complete example bodies.
 *
 * @example
 * errorResponses().Forbidden; // { description, headers, content: { "application/json": … } }
 */
export function errorResponses(): Record<string, unknown> {
	const documented: [ErrorCode, ErrorResponseDoc][] = [
		...(Object.entries(ERROR_RESPONSES) as [ErrorCode, ErrorResponseDoc][]),
		[
			"VALIDATION_ERROR",
			{
				name: "OrganizationIdRequired",
				description: `The request has no valid authentication (a missing, invalid or expired Clerk session token, or a session without an active organization): the reference's 400 with the message \`${ORGANIZATION_ID_REQUIRED}\`.`,
				examples: { organizationIdRequired },
			},
		],
	];
	// By status, so that both meanings of 400 stand together.
	documented.sort(([a], [b]) => ERROR_STATUS[a] - ERROR_STATUS[b]);
	return Object.fromEntries(
		documented.map(([code, doc]) => [
			doc.name,
			{
				description: `${ERROR_STATUS[code]} ${code}: ${doc.description}`,
				headers: {
					...COMMON_HEADERS,
					...Object.fromEntries(
						Object.entries(doc.headers ?? {}).map(([header, component]) => [
							header,
							{ $ref: `#/components/headers/${component}` },
						]),
					),
				},
				content: {
					"application/json": {
						// The one error body, with `code` narrowed to this status's code. The narrowing sits beside
						// `allOf`, not beside `$ref` (which generators read alone), and not in a second `allOf` member,
						// which test/support/contract.ts would close to every other field.
						schema: {
							allOf: [{ $ref: "#/components/schemas/ErrorBody" }],
							properties: { code: { const: code } },
						},
						examples: Object.fromEntries(
							Object.entries(doc.examples).map(([name, { summary, value }]) => [
								name,
								{ summary, value: exampleBody(code, value) },
							]),
						),
					},
				},
			},
		]),
	);
}

function exampleBody(code: ErrorCode, { error, details }: Example): ErrorBody {
	return { error, code, requestId: REQUEST_ID_EXAMPLE, ...(details ? { details } : {}) };
}
