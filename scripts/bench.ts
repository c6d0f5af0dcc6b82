/**
 * `npm run bench`: the project against what a team would build instead, side by side in one run.
 *
 * - **project**: this Worker (`wrangler.toml`'s `main`, minified, as deployed).
 * - **naive**: `bench/naive/worker.ts`, the same API the typical way: `@hono/clerk-auth`'s
 *   `clerkMiddleware`, the Clerk Backend client of `@clerk/backend`, classic zod with `zValidator`, a
 *   Clerk read on every GET. Its packages, and autocannon, are bench/'s own (`bench/package.json` and its
 *   lockfile, installed into `bench/node_modules` with `npm ci --prefix bench` on the first run): never
 *   part of the product's install nor of the deployed Worker.
 *
 * Both run under the real `wrangler dev` at the same time, against one emulator of Clerk that answers
 * after CLERK_LATENCY_MS (scripts/bench/slow-clerk.ts). Every round measures, for GET, POST and DELETE
 * and for each build in turn (which build goes first alternates by round):
 *
 * - throughput under load: autocannon with LOAD_CONNECTIONS connections for LOAD_SECONDS;
 * - latency as one user sees it: one connection, one request at a time, for ONE_USER_SECONDS;
 * - Clerk calls: what the emulator recorded for the build's organizations during the phase.
 *
 * GET reads one organization over and over (each build its own, with a connected CRM): what the
 * organization's owner answers from its copy. Writes rotate over many organizations per build and every write
 * phase is capped, so no organization is written more than MAX_WRITES_PER_ORGANIZATION times in a
 * run: under the project's write limit (10 a minute per organization) and Clerk's (10 metadata writes
 * per 10 s per organization) however fast the machine is.
 *
 * Prints the figures, the project ÷ naive ratios and the targets (met or not); writes
 * `bench/results.json`; fails if any request was not answered with a 2xx.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { generateSigningKeyPair, importSigningKey } from "../emulator/tokens.ts";
import { benchPackageVersion, ensureBenchDependencies } from "./bench/dependencies.ts";
import { BENCH_API_KEY, mintTokens, rotation, seedOrganizations } from "./bench/fixtures.ts";
import { round, runLoad, type Scenario } from "./bench/load.ts";
import { percentile, runOneUser } from "./bench/one-user.ts";
import {
	type BuildName,
	compare,
	formatReport,
	getTargets,
	type Operation,
	type Phase,
} from "./bench/report.ts";
import { type SlowClerk, startSlowClerk } from "./bench/slow-clerk.ts";
import { startWranglerDev, type WranglerDev } from "./wrangler-dev.ts";

const CLERK_LATENCY_MS = 40;
const LOAD_CONNECTIONS = 16;
const LOAD_SECONDS = 1.5;
const ONE_USER_SECONDS = 1.5;
const WARMUP_SECONDS = 1;
const ROUNDS = 5;
/** After a load phase, time for the requests autocannon abandoned to drain before the next phase. */
const DRAIN_MS = 200;
/**
 * Writes rotate over this many organizations per build, one rotation shared by all write phases of the
 * build, and every write phase is capped: no organization is written more than
 * MAX_WRITES_PER_ORGANIZATION times in the whole run, so never more than the project's limit of 10 a
 * minute (nor Clerk's 10 metadata writes per 10 s), however fast the machine.
 */
const WRITE_ORGANIZATIONS = 600;
const MAX_WRITES_PER_ORGANIZATION = 9;
/** A one-user write waits for Clerk at least CLERK_LATENCY_MS, so a one-user phase sends no more than this. */
const MAX_REQUESTS_PER_ONE_USER_WRITE_PHASE = Math.ceil((ONE_USER_SECONDS * 1000) / CLERK_LATENCY_MS) + 1;
/** POST and DELETE: a load phase each per round plus one warm-up each; a one-user phase each per round. */
const LOAD_WRITE_PHASES = 2 * (ROUNDS + 1);
const ONE_USER_WRITE_PHASES = 2 * ROUNDS;
/** What is left for the load phases; each may overshoot its cap by one request per connection. */
const MAX_REQUESTS_PER_LOAD_WRITE_PHASE =
	Math.floor(
		(WRITE_ORGANIZATIONS * MAX_WRITES_PER_ORGANIZATION -
			ONE_USER_WRITE_PHASES * MAX_REQUESTS_PER_ONE_USER_WRITE_PHASE) /
			LOAD_WRITE_PHASES,
	) - LOAD_CONNECTIONS;

const SECRET_KEY = "sk_test_bench_0123456789abcdefghijklmnopqrstuvwxyz";
/** Production instance (`pk_live_`): what is being compared, and Clerk's SDK sends no telemetry for it. */
const PUBLISHABLE_KEY = `pk_live_${btoa("clerk.bench.example$")}`;
const FRONTEND = "http://localhost:3000";
const SETTINGS_PATH = "/api/v1/operations/crm/settings";
const NAIVE_ENTRY = "bench/naive/worker.ts";
const RESULTS_FILE = new URL("../bench/results.json", import.meta.url);
const OPERATIONS: Operation[] = ["GET", "POST", "DELETE"];

interface Build {
	name: BuildName;
	/** Every organization of the build starts with it: its Clerk calls are counted by it. */
	orgPrefix: string;
	dev: WranglerDev;
	scenarios: Record<Operation, Scenario>;
}

/** What to stop if the run is interrupted: the emulator and the `wrangler dev`s. */
const running = new Set<() => Promise<void>>();
process.once("SIGINT", async () => {
	await Promise.all([...running].map((stop) => stop()));
	process.exit(130);
});

async function main() {
	// Before the clock starts: a first run installs bench/'s own dependencies.
	ensureBenchDependencies();
	const started = performance.now();
	const loadBefore = loadavg()[0] ?? 0;
	const keys = await generateSigningKeyPair();
	const clerk = await startSlowClerk({ secretKey: SECRET_KEY, latencyMs: CLERK_LATENCY_MS });
	running.add(clerk.close);
	try {
		const signingKey = await importSigningKey(keys.privateKeyPem);
		const fixtures = async (tag: string) => {
			const [readOrgId] = await seedOrganizations(clerk.url, `${tag}read`, 1);
			const writeOrgIds = await seedOrganizations(clerk.url, `${tag}write`, WRITE_ORGANIZATIONS);
			const [readToken] = await mintTokens(signingKey, [readOrgId as string], FRONTEND);
			return {
				readToken: readToken as string,
				writeTokens: await mintTokens(signingKey, writeOrgIds, FRONTEND),
			};
		};
		const vars = {
			CLERK_SECRET_KEY: SECRET_KEY,
			CLERK_JWT_KEY: keys.publicKeyPem,
			CLERK_API_URL: clerk.url,
			CLOSE_API_URL: clerk.url,
			CLERK_AUTHORIZED_PARTIES: FRONTEND,
		};
		console.log("seeding organizations, minting tokens, starting both builds under wrangler dev…");
		const [projectFixtures, naiveFixtures, projectDev, naiveDev] = await Promise.all([
			fixtures("proj"),
			fixtures("naive"),
			startDev({ vars }),
			// The publishable key is not one of wrangler.toml's [secrets], so it comes as a --var.
			startDev({ vars, entry: NAIVE_ENTRY, cliVars: { CLERK_PUBLISHABLE_KEY: PUBLISHABLE_KEY } }),
		]);
		const builds: Build[] = [
			{ name: "project", orgPrefix: "org_proj", dev: projectDev, scenarios: scenarios(projectFixtures) },
			{ name: "naive", orgPrefix: "org_naive", dev: naiveDev, scenarios: scenarios(naiveFixtures) },
		];

		await readWriteOrganizations(projectDev.url, projectFixtures.writeTokens);
		const phases = await runRounds(builds, clerk);
		const comparisons = compare(phases);
		const targets = getTargets(comparisons);
		const results = {
			generatedAt: new Date().toISOString(),
			commit: gitDescribe(),
			machine: {
				cpus: cpus().length,
				cpuModel: cpus()[0]?.model ?? "unknown",
				loadAverageBefore: round(loadBefore, 2),
				loadAverageAfter: round(loadavg()[0] ?? 0, 2),
				node: process.version,
				wrangler: packageVersion("wrangler"),
				autocannon: benchPackageVersion("autocannon"),
				// What the naive build bundles: bench/node_modules, beside its entry.
				naive: {
					"@hono/clerk-auth": benchPackageVersion("@hono/clerk-auth"),
					"@clerk/backend":
						benchPackageVersion("@hono/clerk-auth/node_modules/@clerk/backend") ??
						benchPackageVersion("@clerk/backend"),
					hono: benchPackageVersion("hono"),
					zod: benchPackageVersion("zod"),
					"@hono/zod-validator": benchPackageVersion("@hono/zod-validator"),
				},
			},
			settings: {
				clerkLatencyMs: CLERK_LATENCY_MS,
				loadConnections: LOAD_CONNECTIONS,
				loadSeconds: LOAD_SECONDS,
				oneUserSeconds: ONE_USER_SECONDS,
				warmupSeconds: WARMUP_SECONDS,
				rounds: ROUNDS,
				readOrganizationsPerBuild: 1,
				writeOrganizationsPerBuild: WRITE_ORGANIZATIONS,
				maxWritesPerOrganization: MAX_WRITES_PER_ORGANIZATION,
				maxRequestsPerLoadWritePhase: MAX_REQUESTS_PER_LOAD_WRITE_PHASE,
				maxRequestsPerOneUserWritePhase: MAX_REQUESTS_PER_ONE_USER_WRITE_PHASE,
				naiveLogging: "none on success (no Hono logger); console.error for unexpected failures",
			},
			comparisons,
			targets,
			phases: phases.map(({ latenciesMs, ...phase }) =>
				latenciesMs === undefined
					? phase
					: {
							...phase,
							oneUserLatencyMs: {
								p50: round(percentile(latenciesMs, 50), 2),
								p99: round(percentile(latenciesMs, 99), 2),
							},
						},
			),
			benchSeconds: round((performance.now() - started) / 1000, 1),
		};
		writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, "\t")}\n`);
		console.log(`\n${formatReport(comparisons, targets, LOAD_CONNECTIONS)}\n`);
		console.log(
			`Clerk answers after ${CLERK_LATENCY_MS} ms. ${ROUNDS} rounds after a ${WARMUP_SECONDS} s warm-up; per round and build: ${LOAD_CONNECTIONS} connections for ${LOAD_SECONDS} s and 1 connection for ${ONE_USER_SECONDS} s per operation. ${results.machine.cpus} CPUs, load average ${results.machine.loadAverageBefore} before; ${results.benchSeconds} s in all. Written to bench/results.json.`,
		);
		if (comparisons.some((c) => c.project.errors > 0 || c.naive.errors > 0)) {
			console.error(
				"FAILED: some requests were not answered with a 2xx (see statusCodes in bench/results.json).",
			);
			process.exitCode = 1;
		}
	} finally {
		await Promise.all([...running].map((stop) => stop()));
	}
}

function scenarios(fixtures: { readToken: string; writeTokens: string[] }): Record<Operation, Scenario> {
	const writeToken = rotation(fixtures.writeTokens);
	return {
		GET: {
			name: "GET settings",
			method: "GET",
			path: SETTINGS_PATH,
			headers: () => ({ authorization: `Bearer ${fixtures.readToken}` }),
		},
		POST: {
			name: "POST settings",
			method: "POST",
			path: SETTINGS_PATH,
			headers: writeToken,
			body: JSON.stringify({ provider: "close", apiKey: BENCH_API_KEY }),
			maxRequests: MAX_REQUESTS_PER_LOAD_WRITE_PHASE,
		},
		DELETE: {
			name: "DELETE settings",
			method: "DELETE",
			path: SETTINGS_PATH,
			headers: writeToken,
			maxRequests: MAX_REQUESTS_PER_LOAD_WRITE_PHASE,
		},
	};
}

/**
 * Reads every write organization's settings once through the project, before anything is measured, as
 * the settings page does before a save: the organization's settings cache (a Durable Object) then
 * exists when its first write comes, as it does for a real save. Without this, each organization's
 * first write would also create its object (a new SQLite database under `wrangler dev`), which is not
 * what a save costs. The naive build keeps nothing per organization, so nothing to prepare there.
 */
async function readWriteOrganizations(url: string, tokens: string[]): Promise<void> {
	console.log(`reading the project's ${tokens.length} write organizations once…`);
	const token = rotation(tokens);
	const result = await runLoad(
		url,
		{ name: "pre-read", method: "GET", path: SETTINGS_PATH, headers: token, maxRequests: tokens.length },
		32,
		120,
	);
	if (result.requests < tokens.length || result.errors > 0) {
		throw new Error(`pre-read: ${result.requests} answers, ${JSON.stringify(result.statusCodes)}`);
	}
	console.log(`  ${round(result.requests / result.requestsPerSecond, 1)} s`);
}

async function runRounds(builds: Build[], clerk: SlowClerk): Promise<Phase[]> {
	const phases: Phase[] = [];
	for (let n = 0; n <= ROUNDS; n++) {
		const order = n % 2 === 1 ? builds : [...builds].reverse();
		for (const operation of OPERATIONS) {
			for (const mode of n === 0 ? (["load"] as const) : (["load", "one-user"] as const)) {
				for (const build of order) phases.push(await runPhase(build, operation, mode, n, clerk));
			}
		}
		const rates = OPERATIONS.map((operation) => {
			const rate = (name: BuildName) =>
				phases.find(
					(p) => p.round === n && p.operation === operation && p.mode === "load" && p.build === name,
				)?.requestsPerSecond;
			return `${operation} ${rate("project")}/${rate("naive")}`;
		});
		console.log(
			`${n === 0 ? "warm-up" : `round ${n}/${ROUNDS}`} (req/s project/naive): ${rates.join(" · ")}`,
		);
	}
	return phases;
}

async function runPhase(
	build: Build,
	operation: Operation,
	mode: Phase["mode"],
	n: number,
	clerk: SlowClerk,
): Promise<Phase> {
	const scenario = build.scenarios[operation];
	const before = await clerk.clerkCalls(build.orgPrefix);
	const common = { build: build.name, operation, mode, round: n };
	if (mode === "load") {
		const seconds = n === 0 ? WARMUP_SECONDS : LOAD_SECONDS;
		const result = await runLoad(build.dev.url, scenario, LOAD_CONNECTIONS, seconds);
		await new Promise((resolve) => setTimeout(resolve, DRAIN_MS));
		return {
			...common,
			requests: result.requests,
			sent: result.sent,
			requestsPerSecond: result.requestsPerSecond,
			loadLatencyMs: { p50: result.latencyMs.p50, p99: result.latencyMs.p99 },
			clerkCalls: (await clerk.clerkCalls(build.orgPrefix)) - before,
			errors: result.errors,
			statusCodes: result.statusCodes,
			...(result.capped ? { capped: true } : {}),
		};
	}
	const oneUser =
		scenario.maxRequests === undefined
			? scenario
			: { ...scenario, maxRequests: MAX_REQUESTS_PER_ONE_USER_WRITE_PHASE };
	const result = await runOneUser(build.dev.url, oneUser, ONE_USER_SECONDS);
	return {
		...common,
		requests: result.requests,
		sent: result.requests,
		latenciesMs: result.latenciesMs,
		clerkCalls: (await clerk.clerkCalls(build.orgPrefix)) - before,
		errors: result.errors,
		statusCodes: result.statusCodes,
	};
}

async function startDev(options: Parameters<typeof startWranglerDev>[0]): Promise<WranglerDev> {
	const dev = await startWranglerDev(options);
	running.add(dev.stop);
	return dev;
}

function gitDescribe(): string {
	try {
		return execFileSync("git", ["describe", "--always", "--dirty"], { encoding: "utf8" }).trim();
	} catch {
		return "unknown";
	}
}

/** The version of one of the product's packages (node_modules at the root). */
function packageVersion(name: string): string {
	const path = new URL(`../node_modules/${name}/package.json`, import.meta.url);
	return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
}

await main();
