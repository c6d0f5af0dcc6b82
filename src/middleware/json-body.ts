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
} from "../errors/messages.ts";

/** Largest request body read; anything longer is refused before it is parsed (413). */
export const MAX_BODY_BYTES = 16 * 1024;

const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json$/i;

const limitBodySize = bodyLimit({
	maxSize: MAX_BODY_BYTES,
	onError: () => {
		throw new ApiError("PAYLOAD_TOO_LARGE", bodyTooLarge(MAX_BODY_BYTES));
	},
});

/**
 * Admits only a JSON body of at most 16 KiB that parses, so that validation afterwards speaks about
 * fields, not about transport. Each failure is a 400 (413 for size) in the one error shape.
 *
 * @example
 * app.post("/", readJsonBody(), validBody(schema), handler);
 */
export function readJsonBody(): MiddlewareHandler<AppEnv> {
	return async function readJsonBody(c, next) {
		const mediaType = (c.req.header("Content-Type") ?? "").split(";")[0]?.trim() ?? "";
		if (!JSON_MEDIA_TYPE.test(mediaType)) {
			throw new ApiError("VALIDATION_ERROR", BODY_NOT_JSON_MEDIA_TYPE);
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
