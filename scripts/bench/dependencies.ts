/**
 * The benchmark's own dependencies, kept out of the product's install: `bench/package.json` and its
 * lockfile (the naive build's `@hono/clerk-auth`, classic zod and Hono; autocannon), installed into
 * `bench/node_modules` by `npm ci --prefix bench`. The naive build resolves its imports from there
 * (wrangler bundles it from `bench/naive/`, and node_modules are searched upward from the entry), and so
 * does the type check of `bench/`. The load generator here in `scripts/bench/` would not find them by
 * name (the search upward from `scripts/` never meets `bench/`), so it loads them with `benchRequire`.
 *
 * `npm run bench` calls `ensureBenchDependencies()` first, and `npm run typecheck` runs this file
 * (its `pretypecheck`): either installs them when they are missing or do not match
 * `bench/package.json`, and says nothing otherwise.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

export const BENCH_DIR = resolve(import.meta.dirname, "..", "..", "bench");

/** `require` as if from `bench/`: finds bench's own packages (autocannon is CommonJS). */
export const benchRequire = createRequire(join(BENCH_DIR, "package.json"));

interface Manifest {
	version?: string;
	dependencies?: Record<string, string>;
	devDependencies?: Record<string, string>;
}

const readManifest = (path: string): Manifest => JSON.parse(readFileSync(path, "utf8")) as Manifest;

/** The installed version of one of bench's packages, or undefined when it is not installed. */
export function benchPackageVersion(name: string): string | undefined {
	const path = join(BENCH_DIR, "node_modules", name, "package.json");
	return existsSync(path) ? readManifest(path).version : undefined;
}

/**
 * What `bench/node_modules` lacks: every package `bench/package.json` names, at the exact version it
 * pins. Empty when the install is current.
 */
export function missingBenchDependencies(): string[] {
	const manifest = readManifest(join(BENCH_DIR, "package.json"));
	const wanted = { ...manifest.dependencies, ...manifest.devDependencies };
	return Object.entries(wanted)
		.filter(([name, version]) => benchPackageVersion(name) !== version)
		.map(([name, version]) => `${name}@${version}`);
}

/**
 * Installs bench's dependencies from its lockfile (`npm ci --prefix bench`) unless they are already
 * there; exits with npm's code when the install fails.
 */
export function ensureBenchDependencies(): void {
	const missing = missingBenchDependencies();
	if (missing.length === 0) return;
	console.error(
		`bench/: installing its own dependencies (${missing.join(", ")}): npm ci --prefix bench\n` +
			"(npm reports @clerk/types as deprecated: the naive build's @hono/clerk-auth pulls it, as it does for any team using it.)",
	);
	// Under `npm run`, the npm that runs the script; otherwise the one on PATH.
	const npmCli = process.env.npm_execpath;
	const [command, args] = npmCli?.endsWith(".js")
		? [process.execPath, [npmCli]]
		: [process.platform === "win32" ? "npm.cmd" : "npm", []];
	const result = spawnSync(command, [...args, "ci", "--prefix", BENCH_DIR, "--no-audit", "--no-fund"], {
		stdio: ["ignore", "inherit", "inherit"],
	});
	if (result.status !== 0) {
		console.error(
			`bench/: npm ci --prefix bench failed (${result.error?.message ?? `exit ${result.status}`})`,
		);
		process.exit(result.status || 1);
	}
}

if (import.meta.main) ensureBenchDependencies();
