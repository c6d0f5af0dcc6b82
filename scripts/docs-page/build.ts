/**
 * `npm run build:docs`: the Worker's static assets (`[assets]` in wrangler.toml), served by Workers
 * static assets rather than from the Worker's bundle:
 *
 *   dist/assets/api/v1/openapi.json         src/openapi/openapi.json (what `npm run openapi` generates), minified
 *   dist/assets/api/v1/docs.html            the API reference page, GET /api/v1/docs
 *   dist/assets/api/v1/docs/…               Swagger UI's script and stylesheet, their licences, the page's script
 *
 * Swagger UI comes from the `swagger-ui-dist` devDependency, pinned in package-lock.json: copied at build
 * time, never fetched from a CDN. wrangler runs this as its `[build]` command before every `wrangler dev`
 * and `wrangler deploy` (so a fresh clone deploys), and npm before `npm run dev`, `npm test` and
 * `npm run test:smoke`.
 *
 * The command line never writes a token. `npm run dev` calls `buildDocsAssets` with its development token
 * and a directory of its own (`wrangler dev --assets`), which adds docs/dev-auth.js to pre-fill
 * "Authorize"; a build into a directory that holds one from an earlier run removes it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DOCS, OPENAPI } from "../../src/http/paths.ts";

const ROOT = resolve(import.meta.dirname, "..", "..");
/** What wrangler.toml's `[assets] directory` names. */
export const ASSETS_DIR = join(ROOT, "dist", "assets");
const SWAGGER_UI = join(ROOT, "node_modules", "swagger-ui-dist");
/** Under `npm run dev` only: sets `window.crmDocsDevToken`, which the page's script hands to "Authorize". */
export const DEV_AUTH_FILE = "dev-auth.js";

export interface DocsAssetsOptions {
	/** ASSETS_DIR unless given. */
	outDir?: string;
	/** A development session token to pre-fill "Authorize" with: `npm run dev` only, never a deploy. */
	devToken?: string;
}

/**
 * Writes the assets into `outDir` and removes anything else there. A file whose content is already
 * right is left alone, and the others are written whole (a temporary file, then a rename): builds
 * running side by side (each `wrangler dev` of the smoke suite runs one) never show a `wrangler dev`
 * a half-written file, and an unchanged build does not make it reload.
 *
 * @example
 * buildDocsAssets(); // dist/assets, as `wrangler deploy` ships it
 * buildDocsAssets({ outDir: tmp, devToken }); // `npm run dev`'s own copy
 */
export function buildDocsAssets(options: DocsAssetsOptions = {}): { outDir: string; files: string[] } {
	const outDir = options.outDir ?? ASSETS_DIR;
	const files = assetFiles(options.devToken);
	for (const [path, content] of files) writeIfChanged(join(outDir, path), content);
	for (const stale of listFiles(outDir).filter((path) => !files.has(path) && !isTemporary(path))) {
		rmSync(join(outDir, stale), { force: true });
	}
	return { outDir, files: [...files.keys()] };
}

/** Relative path (forward slashes) → content, for every file of the build. */
function assetFiles(devToken: string | undefined): Map<string, Buffer> {
	const docsDir = DOCS.path.slice(1); // "api/v1/docs": the page's own files live under its path
	const document = JSON.parse(readFileSync(join(ROOT, "src", "openapi", "openapi.json"), "utf8")) as {
		info: { title: string };
	};
	const swaggerVersion = (
		JSON.parse(readFileSync(join(SWAGGER_UI, "package.json"), "utf8")) as { version: string }
	).version;
	const vendor = (file: string) => withoutSourceMapComment(readFileSync(join(SWAGGER_UI, file)));

	const files = new Map<string, Buffer>([
		// Minified, as the Worker sent it when it bundled the document: the same bytes on the wire.
		[OPENAPI.path.slice(1), Buffer.from(JSON.stringify(document))],
		[`${docsDir}.html`, Buffer.from(pageHtml(document.info.title, swaggerVersion, devToken !== undefined))],
		[`${docsDir}/swagger-ui-bundle.js`, vendor("swagger-ui-bundle.js")],
		[`${docsDir}/swagger-ui.css`, vendor("swagger-ui.css")],
		// The bundle's own header points at this file; Apache-2.0 asks for the licence and notice to travel along.
		[
			`${docsDir}/swagger-ui-bundle.js.LICENSE.txt`,
			readFileSync(join(SWAGGER_UI, "swagger-ui-bundle.js.LICENSE.txt")),
		],
		[`${docsDir}/swagger-ui-LICENSE.txt`, readFileSync(join(SWAGGER_UI, "LICENSE"))],
		[`${docsDir}/swagger-ui-NOTICE.txt`, readFileSync(join(SWAGGER_UI, "NOTICE"))],
		[`${docsDir}/docs.js`, readFileSync(join(import.meta.dirname, "page", "docs.js"))],
	]);
	if (devToken !== undefined) {
		files.set(
			`${docsDir}/${DEV_AUTH_FILE}`,
			Buffer.from(
				"// Written by `npm run dev` into its own assets directory: a development session token for\n" +
					'// "Authorize". `npm run build:docs`, which every deploy runs, never writes this file.\n' +
					`window.crmDocsDevToken = ${JSON.stringify(devToken)};\n`,
			),
		);
	}
	return files;
}

/**
 * The page: Swagger UI's stylesheet and script, then (under `npm run dev`) the development token, then
 * the page's own script. Absolute paths, so that `/api/v1/docs/` finds them too. The icon is inline so
 * that the browser does not ask for /favicon.ico.
 */
function pageHtml(title: string, swaggerVersion: string, withDevToken: boolean): string {
	const asset = (file: string) => `${DOCS.path}/${file}`;
	const scripts = ["swagger-ui-bundle.js", ...(withDevToken ? [DEV_AUTH_FILE] : []), "docs.js"];
	return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="swagger-ui-dist ${escapeHtml(swaggerVersion)}, scripts/docs-page/build.ts">
<title>${escapeHtml(title)}: API reference</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${asset("swagger-ui.css")}">
</head>
<body>
<div id="swagger-ui" data-openapi-url="${OPENAPI.path}"></div>
${scripts.map((file) => `<script src="${asset(file)}"></script>`).join("\n")}
</body>
</html>
`;
}

function escapeHtml(text: string): string {
	return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** The package's source maps are not copied: a `sourceMappingURL` left behind would point at a 404. */
function withoutSourceMapComment(content: Buffer): Buffer {
	const text = content.toString("utf8");
	const stripped = text.replace(/\n?\/[*/]# sourceMappingURL=[^\n]*\s*$/, "\n");
	return stripped === text ? content : Buffer.from(stripped);
}

function writeIfChanged(path: string, content: Buffer): void {
	if (existsSync(path) && readFileSync(path).equals(content)) return;
	mkdirSync(dirname(path), { recursive: true });
	const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
	writeFileSync(temporary, content);
	renameSync(temporary, path);
}

const isTemporary = (path: string) => path.endsWith(".tmp");

/** Every file below `dir`, as paths relative to it with forward slashes; [] when it does not exist. */
export function listFiles(dir: string): string[] {
	if (!existsSync(dir)) return [];
	return readdirSync(dir, { recursive: true, withFileTypes: true })
		.filter((entry) => entry.isFile())
		.map((entry) => relative(dir, join(entry.parentPath, entry.name)).split("\\").join("/"))
		.sort();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const { outDir, files } = buildDocsAssets();
	console.log(
		`build:docs: ${files.length} files in ${relative(ROOT, outDir)} (the API reference and the OpenAPI document)`,
	);
}
