import { zValidator } from "@hono/zod-validator";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type * as z from "zod/mini";
import type { AppEnv } from "../app-env.ts";
import { ApiError, type ErrorDetail } from "../errors/api-error.ts";
import {
	BODY_INVALID,
	BODY_NOT_JSON_MEDIA_TYPE,
	BODY_NOT_VALID_JSON,
	bodyTooLarge,
	QUERY_INVALID,
} from "../errors/messages.ts";

/** Largest request body read; anything longer is refused before it is parsed (413). */
export const MAX_BODY_BYTES = 16 * 1024;

// RFC 9110 §5.6.2 and §5.6.4: a `token`, and a `quoted-string` (with its `quoted-pair` escapes).
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED_STRING = String.raw`"(?:[\t !#-\[\]-~\x80-\xff]|\\[\t -~\x80-\xff])*"`;
const PARAMETER = `(${TOKEN})=(${TOKEN}|${QUOTED_STRING})`;
/**
 * `application/json` and its parameters as RFC 9110 §8.3.1 and §5.6.6 write them:
 * `*( OWS ";" OWS [ parameter ] )`, so an empty parameter (`application/json;`) is no parameter. The
 * whitespace around a field value is not part of it (§5.5), so it is allowed here too; none around `=`,
 * where the grammar has none.
 */
const JSON_CONTENT_TYPE = new RegExp(
	String.raw`^[ \t]*application/json((?:[ \t]*;[ \t]*(?:${PARAMETER})?)*)[ \t]*$`,
	"i",
);
const EACH_PARAMETER = new RegExp(PARAMETER, "g");

/**
 * Whether a `Content-Type` is JSON this API reads as it was meant: `application/json` with no parameter,
 * or with `charset=utf-8` alone. The body is always decoded as UTF-8 (RFC 8259 §8.1), so another
 * charset would be misread rather than refused; a `+json` type (`merge-patch+json`, `vnd.api+json`)
 * promises semantics this API does not implement; and a parameter it does not know may change the
 * meaning of the body in a way it cannot tell.
 */
function isJsonUtf8(contentType: string | undefined): boolean {
	const parameters = JSON_CONTENT_TYPE.exec(contentType ?? "")?.[1];
	if (parameters === undefined) return false;
	const given = [...parameters.matchAll(EACH_PARAMETER)];
	if (given.length === 0) return true;
	if (given.length > 1) return false;
	const [, name = "", value = ""] = given[0] ?? [];
	const unquoted = value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/gs, "$1") : value;
	return name.toLowerCase() === "charset" && unquoted.toLowerCase() === "utf-8";
}

const limitBodySize = bodyLimit({
	maxSize: MAX_BODY_BYTES,
	onError: () => {
		throw new ApiError("PAYLOAD_TOO_LARGE", bodyTooLarge(MAX_BODY_BYTES));
	},
});

/**
 * Admits only a JSON body, labelled `application/json` (UTF-8), of at most 16 KiB that parses, so that
 * validation afterwards speaks about fields, not about transport. Each failure is in the one error
 * shape: 415 for the label, 413 for the size, 400 for the rest.
 *
 * @example
 * app.post("/", readJsonBody(), validBody(schema), handler);
 */
export function readJsonBody(): MiddlewareHandler<AppEnv> {
	return async function readJsonBody(c, next) {
		// Before a byte of the body is read: the label alone says this API cannot take it.
		if (!isJsonUtf8(c.req.header("Content-Type"))) {
			throw new ApiError("UNSUPPORTED_MEDIA_TYPE", BODY_NOT_JSON_MEDIA_TYPE);
		}
		return limitBodySize(c, async () => {
			try {
				await c.req.json(); // cached by Hono for the validator that follows
			} catch {
				throw new ApiError("VALIDATION_ERROR", BODY_NOT_VALID_JSON);
			}
			await next();
		});
	};
}

/**
 * `zValidator("json", schema)` whose failures go through the one error body, with one `details`
 * entry per field at fault.
 *
 * @example
 * app.post("/", readJsonBody(), validBody(saveSettingsRequestSchema), (c) => c.req.valid("json"));
 */
export function validBody<Schema extends z.ZodMiniType>(schema: Schema) {
	return zValidator("json", schema, (result) => {
		if (!result.success) {
			throw new ApiError("VALIDATION_ERROR", BODY_INVALID, {
				details: result.error.issues.flatMap(toDetails),
			});
		}
	});
}

/**
 * `zValidator("query", schema)` with the same one error body: for the few endpoints that take a query.
 *
 * @example
 * app.get("/history", validQuery(historyQuerySchema), (c) => c.req.valid("query"));
 */
export function validQuery<Schema extends z.ZodMiniType>(schema: Schema) {
	return zValidator("query", schema, (result) => {
		if (!result.success) {
			throw new ApiError("VALIDATION_ERROR", QUERY_INVALID, {
				details: result.error.issues.flatMap(toDetails),
			});
		}
	});
}

function toDetails(issue: z.core.$ZodIssue): ErrorDetail[] {
	const path = issue.path.map(String).join(".");
	if (issue.code === "unrecognized_keys") {
		return issue.keys.map((key) => ({
			path: path ? `${path}.${key}` : key,
			message: `${key} is not a known field`,
		}));
	}
	return [{ path, message: issue.message }];
}
