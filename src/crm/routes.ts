import type { Context } from "hono";
import type { AppEnv } from "../app-env.ts";
import { requireSession, requireWriteRole } from "../auth/middleware.ts";
import { ApiError } from "../errors/api-error.ts";
import { methodNotAllowed } from "../errors/handler.ts";
import { QUERY_INVALID } from "../errors/messages.ts";
import { TrieHono } from "../http/hono.ts";
import { allowOf, HISTORY, SETTINGS, VERIFY } from "../http/paths.ts";
import { log } from "../log.ts";
import { readJsonBody, validBody, validQuery } from "../middleware/json-body.ts";
import { answerOf, type Outcome } from "./outcome.ts";
import {
	HISTORY_DEFAULT_LIMIT,
	type HistoryResponse,
	historyQuerySchema,
	saveSettingsRequestSchema,
} from "./schemas.ts";

/** Where the CRM settings live (docs/contract.md §2). */
export const SETTINGS_PATH = SETTINGS.path;
export const VERIFY_PATH = VERIFY.path;
const VERIFY_SUBPATH = VERIFY.path.slice(SETTINGS.path.length);
const HISTORY_SUBPATH = HISTORY.path.slice(SETTINGS.path.length);

/** A page cursor: opaque to clients, the seq the next page starts below. */
const cursorOf = (before: number | null) =>
	before === null ? null : btoa(`h1:${before}`).replaceAll("=", "");
function beforeOf(cursor: string | undefined): number | null {
	if (cursor === undefined) return null;
	const decoded = /^[A-Za-z0-9+/]+$/.test(cursor) ? atob(cursor).match(/^h1:(\d{1,15})$/) : null;
	if (!decoded) {
		throw new ApiError("VALIDATION_ERROR", QUERY_INVALID, {
			details: [{ path: "cursor", message: "cursor must be a nextCursor this API gave" }],
		});
	}
	return Number(decoded[1]);
}

/** The owner's outcome as this request's answer; a stale copy served is logged with the request id. */
function answer<T>(c: Context<AppEnv>, outcome: Outcome<T>): T {
	return answerOf(outcome, (fields) => log("warn", { ...fields, requestId: c.get("requestId") }));
}

/**
 * `GET`, `POST` and `DELETE` of the organization's CRM settings, and the re-check (docs/contract.md §2).
 * The organization is the session's; nothing in the request can name another. Each operation is one
 * call to the organization's owner, which also counts the write limit.
 */
export const settingsRoutes = new TrieHono<AppEnv>()
	.get("/", requireSession(), async (c) =>
		c.json(answer(c, await c.get("owners").read(c.get("session").orgId, c.get("session").userId))),
	)
	.post(
		"/",
		requireSession(),
		requireWriteRole(),
		readJsonBody(),
		validBody(saveSettingsRequestSchema),
		async (c) => {
			const { orgId, userId } = c.get("session");
			return c.json(answer(c, await c.get("owners").save(orgId, userId, c.req.valid("json"))));
		},
	)
	.delete("/", requireSession(), requireWriteRole(), async (c) =>
		c.json(answer(c, await c.get("owners").disconnect(c.get("session").orgId, c.get("session").userId))),
	)
	// Reached only when no CORS origins are configured (otherwise CORS answers the preflight): a plain
	// OPTIONS that lists the methods, with no `Access-Control-*` header.
	.options("/", (c) => c.body(null, 204, { Allow: allowOf(SETTINGS) }))
	.all("/", methodNotAllowed(allowOf(SETTINGS)))
	// No body: the key checked is the stored one. Counts as a write (it records the outcome in Clerk).
	.post(VERIFY_SUBPATH, requireSession(), requireWriteRole(), async (c) =>
		c.json(answer(c, await c.get("owners").recheck(c.get("session").orgId, c.get("session").userId))),
	)
	.options(VERIFY_SUBPATH, (c) => c.body(null, 204, { Allow: allowOf(VERIFY) }))
	.all(VERIFY_SUBPATH, methodNotAllowed(allowOf(VERIFY)))
	// The audit history: who changed what. For the roles that may change the settings.
	.get(HISTORY_SUBPATH, requireSession(), requireWriteRole(), validQuery(historyQuerySchema), async (c) => {
		const { orgId, userId } = c.get("session");
		const { limit, cursor } = c.req.valid("query");
		const page = {
			limit: limit === undefined ? HISTORY_DEFAULT_LIMIT : Number(limit),
			before: beforeOf(cursor),
		};
		const { events, nextBefore } = answer(c, await c.get("owners").history(orgId, userId, page));
		return c.json({ events, nextCursor: cursorOf(nextBefore) } satisfies HistoryResponse);
	})
	.options(HISTORY_SUBPATH, (c) => c.body(null, 204, { Allow: allowOf(HISTORY) }))
	.all(HISTORY_SUBPATH, methodNotAllowed(allowOf(HISTORY)));
