import type { Context } from "hono";
import type { AppEnv } from "../app-env.ts";
import { requireSession, requireWriteRole } from "../auth/middleware.ts";
import { methodNotAllowed } from "../errors/handler.ts";
import { TrieHono } from "../http/hono.ts";
import { allowOf, SETTINGS, VERIFY } from "../http/paths.ts";
import { log } from "../log.ts";
import { readJsonBody, validBody } from "../middleware/json-body.ts";
import { answerOf, type Outcome } from "./outcome.ts";
import { saveSettingsRequestSchema } from "./schemas.ts";

/** Where the CRM settings live (docs/contract.md §2). */
export const SETTINGS_PATH = SETTINGS.path;
export const VERIFY_PATH = VERIFY.path;
const VERIFY_SUBPATH = VERIFY.path.slice(SETTINGS.path.length);

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
		c.json(answer(c, await c.get("owners").read(c.get("session").orgId))),
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
		c.json(answer(c, await c.get("owners").disconnect(c.get("session").orgId))),
	)
	// Reached only when no CORS origins are configured (otherwise CORS answers the preflight): a plain
	// OPTIONS that lists the methods, with no `Access-Control-*` header.
	.options("/", (c) => c.body(null, 204, { Allow: allowOf(SETTINGS) }))
	.all("/", methodNotAllowed(allowOf(SETTINGS)))
	// No body: the key checked is the stored one. Counts as a write (it records the outcome in Clerk).
	.post(VERIFY_SUBPATH, requireSession(), requireWriteRole(), async (c) =>
		c.json(answer(c, await c.get("owners").recheck(c.get("session").orgId))),
	)
	.options(VERIFY_SUBPATH, (c) => c.body(null, 204, { Allow: allowOf(VERIFY) }))
	.all(VERIFY_SUBPATH, methodNotAllowed(allowOf(VERIFY)));
