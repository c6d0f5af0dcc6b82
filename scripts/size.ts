/**
 * `npm run size`: builds the Worker exactly as `wrangler deploy` would (`--dry-run --outdir`), prints
 * its size and where the bytes go (from wrangler's esbuild metafile), and fails when it is over budget:
 * 48 KiB gzip, 200 KiB uncompressed. `npm run size -- --json` prints the same as JSON, with the largest
 * files as well. The static assets (the OpenAPI document and the API reference, `npm run build:docs`) are
 * not part of the bundle and have no budget here; what the reference page makes a browser load is shown.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { ASSETS_DIR, listFiles } from "./docs-page/build.ts";

const GZIP_BUDGET = 48 * 1024;
const RAW_BUDGET = 200 * 1024;
const JSON_OUTPUT = process.argv.includes("--json");

interface Metafile {
	outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
}

const outdir = mkdtempSync(join(tmpdir(), "crm-settings-size-"));
try {
	const metafile = join(outdir, "bundle-meta.json");
	execFileSync(
		"npx",
		["--no-install", "wrangler", "deploy", "--dry-run", "--outdir", outdir, "--metafile", metafile],
		{ stdio: "ignore" },
	);
	const modules = readdirSync(outdir).filter((file) => file.endsWith(".js"));
	const code = Buffer.concat(modules.map((file) => readFileSync(join(outdir, file))));
	const gzip = gzipSync(code, { level: 9 }).length;
	const files = bytesPerInput(JSON.parse(readFileSync(metafile, "utf8")) as Metafile);
	const packages = totals(files, packageOf);
	const withinBudget = gzip <= GZIP_BUDGET && code.length <= RAW_BUDGET;
	// The dry run ran wrangler's `[build]`, so the assets are the ones this deploy would upload.
	const assets = staticAssets();

	if (JSON_OUTPUT) {
		const top = [...files].sort((a, b) => b[1] - a[1]).slice(0, 25);
		console.log(
			JSON.stringify(
				{
					rawBytes: code.length,
					gzipBytes: gzip,
					budget: { rawBytes: RAW_BUDGET, gzipBytes: GZIP_BUDGET },
					withinBudget,
					staticAssets: assets,
					packages: packages.map(([name, bytes]) => ({ name, bytes })),
					largestFiles: top.map(([path, bytes]) => ({ path, bytes })),
				},
				null,
				2,
			),
		);
	} else {
		const kib = (bytes: number) => `${(bytes / 1024).toFixed(2)} KiB`;
		console.log(
			`Worker bundle: ${kib(code.length)} raw (budget ${kib(RAW_BUDGET)}), ${kib(gzip)} gzip (budget ${kib(GZIP_BUDGET)})`,
		);
		const total = packages.reduce((sum, [, bytes]) => sum + bytes, 0);
		console.log("Where the minified bytes go (before gzip):");
		for (const [name, bytes] of packages) {
			const share = `${Math.round((bytes / total) * 100)}%`.padStart(4);
			console.log(`  ${name.padEnd(22)} ${kib(bytes).padStart(10)} ${share}`);
		}
		console.log(
			`Static assets, not in the bundle: ${assets.files} files, ${kib(assets.rawBytes)}; ` +
				`the API reference page loads ${kib(assets.pageGzipBytes)} gzip (page, Swagger UI, the document)`,
		);
	}
	if (!withinBudget) {
		console.error("Over budget: `npm run size -- --json` lists the largest files (docs/performance.md).");
		process.exitCode = 1;
	}
} finally {
	rmSync(outdir, { recursive: true, force: true });
}

/** The files of ASSETS_DIR, and the gzip size of what GET /api/v1/docs loads: the files it names, the document. */
function staticAssets(): { files: number; rawBytes: number; pageGzipBytes: number } {
	const files = listFiles(ASSETS_DIR);
	const read = (file: string) => readFileSync(join(ASSETS_DIR, file));
	const page = read("api/v1/docs.html").toString("utf8");
	const loaded = [...page.matchAll(/(?:src|href)="\/([^"]+)"/g)].map((match) => match[1] as string);
	const gzipOf = (file: string) => gzipSync(read(file), { level: 9 }).length;
	return {
		files: files.length,
		rawBytes: files.reduce((sum, file) => sum + read(file).length, 0),
		pageGzipBytes: ["api/v1/docs.html", "api/v1/openapi.json", ...loaded].reduce(
			(sum, file) => sum + gzipOf(file),
			0,
		),
	};
}

/** [input path, minified bytes it adds to the output], over every JavaScript output. */
function bytesPerInput(metafile: Metafile): [string, number][] {
	return Object.entries(metafile.outputs)
		.filter(([output]) => output.endsWith(".js"))
		.flatMap(([, output]) =>
			Object.entries(output.inputs).map(([path, input]) => [path, input.bytesInOutput]),
		)
		.filter((entry): entry is [string, number] => (entry[1] as number) > 0);
}

function totals(files: [string, number][], groupOf: (path: string) => string): [string, number][] {
	const sums = new Map<string, number>();
	for (const [path, bytes] of files) sums.set(groupOf(path), (sums.get(groupOf(path)) ?? 0) + bytes);
	return [...sums].sort((a, b) => b[1] - a[1]);
}

/** `hono`, `@clerk/shared`, … for dependencies; the service's own code is `src`. */
function packageOf(path: string): string {
	const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
	if (inPackage?.[1]) return inPackage[1];
	return path.startsWith("src/") ? "src" : path;
}
