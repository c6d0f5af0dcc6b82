/**
 * The API reference page (GET /api/v1/docs) in a real browser: one `npm run dev` (support/npm-run-dev.ts)
 * and one Debian Chromium (/usr/bin/chromium; `.ci/run` installs it) driven
 * by playwright-core, which downloads no browser of its own. The page must render every operation of the
 * OpenAPI document it is served with, "Try it out" must answer with the development token `npm run dev`
 * pre-fills, nothing may be requested outside the local origin, and the console must stay free of errors.
 * A screenshot is left in test-output/ (gitignored). Then the deploy build: never a token in it.
 *
 * `npm run test:smoke`; about 15 s of it, most of that `npm run dev` starting.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ASSETS_DIR, buildDocsAssets, DEV_AUTH_FILE, listFiles } from "../../scripts/docs-page/build.ts";
import { SETTINGS_PATH } from "../../src/crm/routes.ts";
import { DOCS, HEALTH, OPENAPI, VERIFY } from "../../src/http/paths.ts";
import { type NpmRunDev, startNpmRunDev } from "./support/npm-run-dev.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOT = join(ROOT, "test-output", "docs-page.png");
const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

describe("the API reference page under npm run dev, in Chromium", () => {
	let dev: NpmRunDev;
	let origin: string;
	let token: string;
	let profile: string;
	let browser: BrowserContext;
	let page: Page;
	const requests: string[] = [];
	const problems: string[] = [];

	beforeAll(async () => {
		profile = mkdtempSync(join(tmpdir(), "crm-settings-chromium-"));
		// Chromium starts while `npm run dev` does.
		const launching = chromium.launchPersistentContext(profile, {
			executablePath: CHROMIUM,
			headless: true,
			args: [
				"--headless",
				"--no-sandbox",
				"--disable-gpu",
				"--disable-background-networking",
				"--disable-component-update",
				"--disable-sync",
				"--disable-quic",
				"--no-first-run",
			],
			viewport: { width: 1280, height: 900 },
		});
		dev = await startNpmRunDev();
		origin = dev.origin;
		browser = await launching;
		token = dev.token();
		if (!token) throw new Error(`npm run dev printed no token:\n${dev.output().slice(-4000)}`);
		expect(dev.output()).toContain(`${origin}${DOCS.path}`);

		page = browser.pages()[0] ?? (await browser.newPage());
		page.on("request", (request) => requests.push(request.url()));
		page.on("console", (message) => {
			if (message.type() === "error") problems.push(`console: ${message.text()}`);
		});
		page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
		page.on("requestfailed", (request) => problems.push(`failed: ${request.url()}`));
		page.on("response", (response) => {
			if (response.status() >= 400) problems.push(`${response.status()}: ${response.url()}`);
		});
		await page.goto(`${origin}${DOCS.path}`);
		await page.locator(".opblock").first().waitFor({ timeout: 20_000 });
	});

	afterAll(async () => {
		await browser?.close();
		if (profile) rmSync(profile, { recursive: true, force: true });
		// dev.ts stops wrangler, workerd and the emulator, and removes its assets directory.
		await dev?.stop();
	});

	it("renders every operation of the OpenAPI document it is served with", async () => {
		const document = (await (await fetch(`${origin}${OPENAPI.path}`)).json()) as {
			paths: Record<string, Record<string, unknown>>;
		};
		const documented = Object.entries(document.paths).flatMap(([path, item]) =>
			Object.keys(item)
				.filter((key) => HTTP_METHODS.includes(key))
				.map((method) => `${method.toUpperCase()} ${path}`),
		);
		// The ones this service exists for, whatever else the document gains.
		expect(documented).toEqual(
			expect.arrayContaining([
				`GET ${SETTINGS_PATH}`,
				`POST ${SETTINGS_PATH}`,
				`DELETE ${SETTINGS_PATH}`,
				`POST ${VERIFY.path}`,
				`GET ${HEALTH.path}`,
			]),
		);

		const rendered = await page.locator(".opblock").evaluateAll((blocks) =>
			blocks.map((block) => {
				const method = block.querySelector(".opblock-summary-method")?.textContent ?? "";
				const path = block.querySelector(".opblock-summary-path")?.getAttribute("data-path") ?? "";
				return `${method.trim().toUpperCase()} ${path}`;
			}),
		);
		expect(rendered.toSorted()).toEqual(documented.toSorted());
	});

	it('answers "Try it out" of GET settings with 200 and its body, sent with the pre-filled dev token', async () => {
		// "Authorize" starts filled (locked) with the token npm run dev printed.
		await expect(page.locator(".auth-wrapper .btn.authorize.locked").isVisible()).resolves.toBe(true);

		const operation = page.locator(".opblock.opblock-get", {
			has: page.locator(`.opblock-summary-path[data-path="${SETTINGS_PATH}"]`),
		});
		await operation.locator(".opblock-summary-control").click();
		const sent = page.waitForRequest((request) => request.url() === `${origin}${SETTINGS_PATH}`);
		// "Try it out" is on from the start: Execute is there.
		await operation.locator("button.execute").click();
		expect((await sent).headers().authorization).toBe(`Bearer ${token}`);

		const answer = operation.locator(".live-responses-table tbody tr.response").first();
		await answer.waitFor();
		expect((await answer.locator(".response-col_status").textContent())?.trim()).toBe("200");
		const shown = JSON.parse(
			(await answer.locator(".response-col_description pre").first().textContent()) ?? "",
		);
		const direct = await fetch(`${origin}${SETTINGS_PATH}`, {
			headers: { Authorization: `Bearer ${token}` },
		});
		expect(shown).toEqual(await direct.json());
		expect(shown).toEqual({ connected: false, provider: null, apiKeyMasked: null });

		mkdirSync(join(ROOT, "test-output"), { recursive: true });
		await page.screenshot({ path: SCREENSHOT, fullPage: true });
		process.stdout.write(`\ndocs page screenshot: ${SCREENSHOT}\n`);
	});

	it("requested nothing outside the local origin, and logged no error", () => {
		expect(requests.length).toBeGreaterThan(0);
		const elsewhere = requests.filter((url) => {
			const { protocol, hostname } = new URL(url);
			if (protocol === "data:") return false;
			return hostname !== "127.0.0.1" && hostname !== "localhost";
		});
		expect(elsewhere).toEqual([]);
		expect(problems).toEqual([]);
		// The page loaded the development token: npm run dev's own assets.
		expect(requests).toContain(`${origin}${DOCS.path}/${DEV_AUTH_FILE}`);
	});
});

describe("the docs build", () => {
	it("that wrangler deploy ships (`npm run build:docs`, wrangler's [build]) holds no token", () => {
		execFileSync(process.execPath, [join(ROOT, "scripts", "docs-page", "build.ts")], { cwd: ROOT });
		const files = listFiles(ASSETS_DIR);
		expect(files).toEqual(
			expect.arrayContaining(["api/v1/docs.html", "api/v1/openapi.json", "api/v1/docs/swagger-ui-bundle.js"]),
		);
		expect(files.filter((file) => file.endsWith(DEV_AUTH_FILE))).toEqual([]);
		const page = readFileSync(join(ASSETS_DIR, "api", "v1", "docs.html"), "utf8");
		expect(page).not.toContain(DEV_AUTH_FILE);
		const written = files.map((file) => readFileSync(join(ASSETS_DIR, file), "latin1"));
		expect(written.filter((text) => text.includes("crmDocsDevToken ="))).toEqual([]);
		// A session token is a JWT: three base64url parts, the first of them `{"alg":…`.
		expect(written.filter((text) => /eyJhbGciOi[\w-]+\.[\w-]+\.[\w-]+/.test(text))).toEqual([]);
	});

	it("writes a dev token only when asked, and removes it when built again without one", () => {
		const dir = mkdtempSync(join(tmpdir(), "crm-settings-docs-test-"));
		try {
			buildDocsAssets({ outDir: dir, devToken: "dev.token.value" });
			expect(readFileSync(join(dir, "api", "v1", "docs", DEV_AUTH_FILE), "utf8")).toContain(
				'window.crmDocsDevToken = "dev.token.value";',
			);
			expect(readFileSync(join(dir, "api", "v1", "docs.html"), "utf8")).toContain(DEV_AUTH_FILE);

			buildDocsAssets({ outDir: dir });
			expect(listFiles(dir).filter((file) => file.endsWith(DEV_AUTH_FILE))).toEqual([]);
			expect(readFileSync(join(dir, "api", "v1", "docs.html"), "utf8")).not.toContain(DEV_AUTH_FILE);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
