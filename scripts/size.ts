/**
 * `npm run size`: builds the Worker exactly as `wrangler deploy` would (`--dry-run --outdir`), prints
 * its size, and fails when it is over budget: 48 KiB gzip, 200 KiB uncompressed.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const GZIP_BUDGET = 48 * 1024;
const RAW_BUDGET = 200 * 1024;

const outdir = mkdtempSync(join(tmpdir(), "crm-settings-size-"));
try {
	execFileSync("npx", ["--no-install", "wrangler", "deploy", "--dry-run", "--outdir", outdir], {
		stdio: "ignore",
	});
	const modules = readdirSync(outdir).filter((file) => file.endsWith(".js"));
	const code = Buffer.concat(modules.map((file) => readFileSync(join(outdir, file))));
	const gzip = gzipSync(code, { level: 9 }).length;
	const kib = (bytes: number) => `${(bytes / 1024).toFixed(2)} KiB`;
	console.log(
		`Worker bundle: ${kib(code.length)} raw (budget ${kib(RAW_BUDGET)}), ${kib(gzip)} gzip (budget ${kib(GZIP_BUDGET)})`,
	);
	if (gzip > GZIP_BUDGET || code.length > RAW_BUDGET) {
		console.error(
			"Over budget: see where the bytes go with `npx esbuild --bundle --metafile` (README, Performance).",
		);
		process.exitCode = 1;
	}
} finally {
	rmSync(outdir, { recursive: true, force: true });
}
