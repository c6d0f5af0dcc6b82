import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index.ts";
import document from "../src/openapi/openapi.json" with { type: "json" };
import { errorBody, send } from "./support/api.ts";
import { captureLogs } from "./support/logs.ts";

const ORIGIN = "https://crm.example.com";
const OPENAPI_URL = `${ORIGIN}/api/v1/openapi.json`;
const DOCS_URL = `${ORIGIN}/api/v1/docs`;

// The document and the reference page are static assets (`npm run build:docs`, which `npm test` runs
// first, writes them into dist/assets); the Worker answers both paths from its ASSETS binding.

describe("GET /api/v1/openapi.json", () => {
	it("serves the generated OpenAPI 3.1 document to anyone, without authentication", async () => {
		const response = await send(new Request(OPENAPI_URL));
		expect(response.status).toBe(200);
		expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
		expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
		expect(response.body).toEqual(document);
		expect(response.body).toMatchObject({ openapi: expect.stringMatching(/^3\.1\./) });
	});

	it("needs neither configuration nor Clerk: it answers even when the secrets are missing", async () => {
		const response = await send(new Request(OPENAPI_URL), { CLERK_SECRET_KEY: "", CLERK_JWT_KEY: "" });
		expect(response.status).toBe(200);
		expect(response.body).toEqual(document);
	});

	it("answers HEAD without a body, and other methods with 405", async () => {
		expect((await send(new Request(OPENAPI_URL, { method: "HEAD" }))).status).toBe(200);

		const response = await send(new Request(OPENAPI_URL, { method: "POST" }));
		expect(response.status).toBe(405);
		expect(response.headers.get("Allow")).toBe("GET, HEAD");
		expect(response.body).toEqual(
			errorBody(response, "METHOD_NOT_ALLOWED", "POST is not supported here; use GET, HEAD"),
		);
	});

	it("is the static asset, sent with the API's headers rather than the asset's own caching ones", async () => {
		const response = await send(new Request(OPENAPI_URL, { headers: { "If-None-Match": "*" } }));
		expect(response.status).toBe(200);
		expect(response.headers.get("Cache-Control")).toBe("no-store");
		expect(response.headers.get("X-Request-Id")).toMatch(/\S/);
		expect(response.headers.get("ETag")).toBeNull();
		const asset = await env.ASSETS.fetch(OPENAPI_URL);
		expect(await asset.json()).toEqual(document);
	});

	it("answers 500 and logs a configuration error when the deploy lacks its assets", async () => {
		const logs = captureLogs();
		const noAssets = { fetch: async () => new Response("Not Found", { status: 404 }) };
		const response = await callWorker(new Request(OPENAPI_URL), { ASSETS: noAssets });
		expect(response.status).toBe(500);
		const body = await response.json();
		expect(body).toEqual({
			error: "Internal server error",
			code: "INTERNAL_ERROR",
			requestId: response.headers.get("X-Request-Id"),
		});
		expect(logs.entries()).toContainEqual(
			expect.objectContaining({
				level: "error",
				msg: "configuration error",
				problem: expect.stringContaining("npm run build:docs"),
			}),
		);
	});
});

describe("GET /api/v1/docs", () => {
	it("serves the API reference page: public, no-store, held to its own origin by its CSP", async () => {
		const response = await callWorker(new Request(DOCS_URL), { CLERK_SECRET_KEY: "", CLERK_JWT_KEY: "" });
		expect(response.status).toBe(200);
		expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
		expect(response.headers.get("Cache-Control")).toBe("no-store");
		expect(response.headers.get("X-Request-Id")).toMatch(/\S/);
		expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
		const policy = response.headers.get("Content-Security-Policy") ?? "";
		for (const directive of ["default-src 'none'", "script-src 'self'", "connect-src 'self'"]) {
			expect(policy).toContain(directive);
		}
		const html = await response.text();
		expect(html).toContain('data-openapi-url="/api/v1/openapi.json"');
		// The build every deploy runs: no development token.
		expect(html).not.toContain("dev-auth.js");
	});

	it("loads nothing but files of its own, each of which static assets serve", async () => {
		const html = await (await callWorker(new Request(DOCS_URL))).text();
		const references = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] as string);
		expect(references).toEqual([
			"data:,",
			"/api/v1/docs/swagger-ui.css",
			"/api/v1/docs/swagger-ui-bundle.js",
			"/api/v1/docs/docs.js",
		]);
		for (const path of references.filter((reference) => reference.startsWith("/"))) {
			const asset = await env.ASSETS.fetch(`${ORIGIN}${path}`);
			expect(asset.status, path).toBe(200);
			await asset.body?.cancel();
		}
		const devToken = await env.ASSETS.fetch(`${ORIGIN}/api/v1/docs/dev-auth.js`);
		expect(devToken.status).toBe(404);
		await devToken.body?.cancel();
	});

	it("answers HEAD without a body, and other methods with the API's 405", async () => {
		const head = await callWorker(new Request(DOCS_URL, { method: "HEAD" }));
		expect(head.status).toBe(200);
		expect(await head.text()).toBe("");

		const response = await callWorker(new Request(DOCS_URL, { method: "POST" }));
		expect(response.status).toBe(405);
		expect(response.headers.get("Allow")).toBe("GET, HEAD");
		expect(await response.json()).toEqual({
			error: "POST is not supported here; use GET, HEAD",
			code: "METHOD_NOT_ALLOWED",
			requestId: response.headers.get("X-Request-Id"),
		});
	});
});

/**
 * The Worker's fetch handler, as `send()` calls it but without its contract check: /api/v1/docs is a page
 * of the API, not an operation of its document.
 */
async function callWorker(request: Request, overrides: Record<string, unknown> = {}): Promise<Response> {
	const ctx = createExecutionContext();
	const response = await worker.fetch(request, { ...env, ...overrides } as Env, ctx);
	await waitOnExecutionContext(ctx);
	return response;
}
