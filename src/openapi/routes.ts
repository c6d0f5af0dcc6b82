import type { Context } from "hono";
import type { AppEnv } from "../app-env.ts";
import { InternalFailure } from "../errors/failure.ts";
import { methodNotAllowed } from "../errors/handler.ts";
import { TrieHono } from "../http/hono.ts";
import { allowOf, DOCS, OPENAPI } from "../http/paths.ts";

/** Where the Worker serves its OpenAPI document (public, no authentication). */
export const OPENAPI_PATH = OPENAPI.path;

/**
 * The reference page may load and call its own origin only: no font, script, analytics or validator of
 * anyone else's, whatever a future Swagger UI would like to fetch. No inline script or style either: every
 * script is a file of the page's own (scripts/docs-page/), and Swagger UI styles elements through the DOM,
 * which the policy allows. test/smoke/docs-page.test.ts fails on any violation (a console error).
 */
const DOCS_PAGE_POLICY = [
	"default-src 'none'",
	"script-src 'self'",
	"style-src 'self'",
	"img-src 'self' data:",
	"connect-src 'self'",
	"base-uri 'none'",
	"form-action 'none'",
	"frame-ancestors 'none'",
].join("; ");

/**
 * The OpenAPI document and the reference page are static assets (`[assets]` in wrangler.toml, built by
 * `npm run build:docs` from src/openapi/openapi.json and swagger-ui-dist), so neither is in the Worker's
 * bundle. wrangler.toml routes both paths to the Worker first: it answers GET and HEAD with the asset,
 * through the middleware every answer passes (X-Request-Id, `no-store`, the log line), and any other
 * method with the API's own 405.
 */
async function fromAssets(c: Context<AppEnv>, path: string, headers: Record<string, string>) {
	// A plain GET of the path: no query, no conditional headers (the answer is never cached).
	const asset = await c.env.ASSETS.fetch(new URL(path, c.req.url));
	if (!asset.ok) {
		await asset.body?.cancel();
		throw new InternalFailure(
			"configuration",
			`the static asset ${path} answered ${asset.status}: were the assets built (\`npm run build:docs\`)?`,
		);
	}
	const contentType = asset.headers.get("Content-Type") ?? "application/octet-stream";
	return c.body(await asset.arrayBuffer(), 200, { "Content-Type": contentType, ...headers });
}

/**
 * `GET /api/v1/openapi.json`: the document that `npm run openapi` (scripts/openapi/) generates from the zod
 * schemas. It is public and needs no configuration, so mount it before the middleware that parses the
 * configuration: the document stays readable even when the Worker is misconfigured.
 *
 * @example
 * app.route(OPENAPI_PATH, openApiRoutes);
 */
export const openApiRoutes = new TrieHono<AppEnv>()
	// A document with no secrets in it: any site may load it, e.g. an API explorer.
	.get("/", (c) => fromAssets(c, OPENAPI.path, { "Access-Control-Allow-Origin": "*" }))
	.all("/", methodNotAllowed(allowOf(OPENAPI)));

/**
 * `GET /api/v1/docs`: the interactive reference of that document (Swagger UI, same origin: "Try it out"
 * sends the bearer token typed into "Authorize" with no CORS involved). Public, like the document.
 *
 * @example
 * app.route(DOCS.path, docsRoutes);
 */
export const docsRoutes = new TrieHono<AppEnv>()
	.get("/", (c) =>
		fromAssets(c, DOCS.path, {
			"Content-Security-Policy": DOCS_PAGE_POLICY,
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy": "no-referrer",
		}),
	)
	.all("/", methodNotAllowed(allowOf(DOCS)));
