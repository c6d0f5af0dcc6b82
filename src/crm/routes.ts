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
	.all("/", methodNotAllowed(ALLOWED_METHODS));
