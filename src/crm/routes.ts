import type { AppEnv } from "../app-env.ts";
import { requireSession, requireWriteRole } from "../auth/middleware.ts";
import { methodNotAllowed } from "../errors/handler.ts";
import { TrieHono } from "../http/hono.ts";
import { readJsonBody, validBody } from "../middleware/json-body.ts";
import { saveSettingsRequestSchema } from "./schemas.ts";
import { limitWrites } from "./write-limit.ts";

/** Where the CRM settings live (docs/contract.md §2). */
export const SETTINGS_PATH = "/api/v1/operations/crm/settings";

const ALLOWED_METHODS = "GET, HEAD, POST, DELETE, OPTIONS";
/** Below SETTINGS_PATH: re-check the stored key with the CRM. */
const VERIFY_SUBPATH = "/verify";
export const VERIFY_PATH = `${SETTINGS_PATH}${VERIFY_SUBPATH}`;
const VERIFY_ALLOWED_METHODS = "POST, OPTIONS";

/**
 * `GET`, `POST` and `DELETE` of the organization's CRM settings (docs/contract.md §2). The organization is the
 * session's; nothing in the request can name another.
 */
export const settingsRoutes = new TrieHono<AppEnv>()
	.get("/", requireSession(), async (c) => c.json(await c.get("crmSettings").read(c.get("session").orgId)))
	.post(
		"/",
		requireSession(),
		requireWriteRole(),
		readJsonBody(),
		validBody(saveSettingsRequestSchema),
		limitWrites(),
		async (c) => {
			const { orgId, userId } = c.get("session");
			return c.json(await c.get("crmSettings").connect(orgId, userId, c.req.valid("json")));
		},
	)
	.delete("/", requireSession(), requireWriteRole(), limitWrites(), async (c) =>
		c.json(await c.get("crmSettings").disconnect(c.get("session").orgId)),
	)
	// Reached only when no CORS origins are configured (otherwise CORS answers the preflight): a plain
	// OPTIONS that lists the methods, with no `Access-Control-*` header.
	.options("/", (c) => c.body(null, 204, { Allow: ALLOWED_METHODS }))
	.all("/", methodNotAllowed(ALLOWED_METHODS))
	// No body: the key checked is the stored one. Counts as a write (it records the outcome in Clerk).
	.post(VERIFY_SUBPATH, requireSession(), requireWriteRole(), limitWrites(), async (c) =>
		c.json(await c.get("crmSettings").recheck(c.get("session").orgId)),
	)
	.options(VERIFY_SUBPATH, (c) => c.body(null, 204, { Allow: VERIFY_ALLOWED_METHODS }))
	.all(VERIFY_SUBPATH, methodNotAllowed(VERIFY_ALLOWED_METHODS));
