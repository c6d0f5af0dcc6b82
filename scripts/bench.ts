/**
 * `npm run bench`: the Worker under `wrangler dev`, with the emulator standing in for Clerk (answering
 * at once), driven by autocannon. Each short round measures the baseline — `GET /api/v1/health`: same
 * middleware, no auth, no Clerk call — and GET, POST and DELETE of the CRM settings, starting at a
 * different scenario each round; an operation's figure is its ratio to the baseline of the same round
 * (median over rounds), which holds on a busy or drifting machine where absolute figures do not.
 * Prints a table and writes `bench/results.json`; fails if any request was not a 2xx.
 *
 * GET reads organizations that nothing writes (each with a connected CRM, so every read does the
 * whole read path). Writes rotate over many other organizations and every write phase is capped, so
 * none is written more than MAX_WRITES_PER_ORGANIZATION times in a run: under the per-organization
 * write limit (10 a minute) however fast the machine is.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { startEmulator } from "../emulator/server.ts";
import { generateSigningKeyPair, importSigningKey } from "../emulator/tokens.ts";
import { BENCH_API_KEY, mintTokens, rotation, seedOrganizations } from "./bench/fixtures.ts";
import { type LoadResult, round, runLoad, type Scenario } from "./bench/load.ts";
import { formatReport, summarizeScenarios } from "./bench/report.ts";
import { startWranglerDev } from "./wrangler-dev.ts";

const CONNECTIONS = 8;
const WARMUP_SECONDS = 2;
const ROUND_SECONDS = 2;
const ROUNDS = 6;
const READ_ORGANIZATIONS = 200;
const WRITE_ORGANIZATIONS = 2000;
const MAX_WRITES_PER_ORGANIZATION = 8;
/** POST and DELETE, each warmed up once and measured once per round. */
const WRITE_PHASES = 2 * (ROUNDS + 1);
/** Rotation shared by all write phases: each phase may overshoot by one request per connection. */
const MAX_REQUESTS_PER_WRITE_PHASE =
	Math.floor((WRITE_ORGANIZATIONS * MAX_WRITES_PER_ORGANIZATION) / WRITE_PHASES) - CONNECTIONS;

const SECRET_KEY = "sk_test_bench_0123456789abcdefghijklmnopqrstuvwxyz";
const FRONTEND = "http://localhost:3000";
const SETTINGS_PATH = "/api/v1/operations/crm/settings";
const BASELINE = "baseline GET /api/v1/health";
const RESULTS_FILE = new URL("../bench/results.json", import.meta.url);

/** What to stop if the run is interrupted: the emulator and any `wrangler dev`. */
const running = new Set<() => Promise<void>>();
process.once("SIGINT", async () => {
	await Promise.all([...running].map((stop) => stop()));
	process.exit(130);
});

async function main() {
	const started = performance.now();
	const keys = await generateSigningKeyPair();
	const emulator = await startEmulator({ secretKey: SECRET_KEY });
	running.add(emulator.close);
	try {
		const signingKey = await importSigningKey(keys.privateKeyPem);
		const readOrgIds = await seedOrganizations(emulator.url, "benchread", READ_ORGANIZATIONS);
		const writeOrgIds = await seedOrganizations(emulator.url, "benchwrite", WRITE_ORGANIZATIONS);
		const readTokens = await mintTokens(signingKey, readOrgIds, FRONTEND);
		const writeTokens = await mintTokens(signingKey, writeOrgIds, FRONTEND);
		const vars = {
			CLERK_SECRET_KEY: SECRET_KEY,
			CLERK_JWT_KEY: keys.publicKeyPem,
			CLERK_API_URL: emulator.url,
			CLOSE_API_URL: emulator.url,
			CLERK_AUTHORIZED_PARTIES: FRONTEND,
		};

		const plan = benchPlan(readTokens, writeTokens);
		const rounds = await withWranglerDev({ vars }, (url) => runRounds(url, plan));

		const scenarios = summarizeScenarios(plan, rounds, BASELINE);
		const results = {
			generatedAt: new Date().toISOString(),
			commit: gitDescribe(),
			machine: {
				cpus: cpus().length,
				cpuModel: cpus()[0]?.model ?? "unknown",
				node: process.version,
				wrangler: packageVersion("wrangler"),
				autocannon: packageVersion("autocannon"),
			},
			settings: {
				connections: CONNECTIONS,
				warmupSeconds: WARMUP_SECONDS,
				roundSeconds: ROUND_SECONDS,
				rounds: ROUNDS,
				readOrganizations: READ_ORGANIZATIONS,
				writeOrganizations: WRITE_ORGANIZATIONS,
				maxRequestsPerWritePhase: MAX_REQUESTS_PER_WRITE_PHASE,
			},
			scenarios,
			benchSeconds: round((performance.now() - started) / 1000, 1),
		};
		writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, "\t")}\n`);
		console.log(`\n${formatReport(scenarios)}`);
		console.log(
			`${CONNECTIONS} connections; ${ROUNDS} rounds of ${ROUND_SECONDS} s per scenario after ${WARMUP_SECONDS} s warm-up; ${results.machine.cpus} CPUs; ${results.benchSeconds} s in all. Written to bench/results.json.`,
		);
		if (scenarios.some((scenario) => scenario.errors > 0)) {
			console.error(
				"FAILED: some requests were not answered with a 2xx (see statusCodes in bench/results.json).",
			);
			process.exitCode = 1;
		}
	} finally {
		await emulator.close();
		running.delete(emulator.close);
	}
}

function benchPlan(readTokens: string[], writeTokens: string[]): Scenario[] {
	const readToken = rotation(readTokens);
	const writeToken = rotation(writeTokens);
	return [
		{ name: BASELINE, method: "GET", path: "/api/v1/health", headers: () => ({}) },
		{ name: "GET settings", method: "GET", path: SETTINGS_PATH, headers: readToken },
		{
			name: "POST settings",
			method: "POST",
			path: SETTINGS_PATH,
			headers: writeToken,
			body: JSON.stringify({ provider: "close", apiKey: BENCH_API_KEY }),
			maxRequests: MAX_REQUESTS_PER_WRITE_PHASE,
		},
		{
			name: "DELETE settings",
			method: "DELETE",
			path: SETTINGS_PATH,
			headers: writeToken,
			maxRequests: MAX_REQUESTS_PER_WRITE_PHASE,
		},
	];
}

async function runRounds(url: string, plan: Scenario[]): Promise<Map<string, LoadResult>[]> {
	console.log(`warm-up: ${plan.length} × ${WARMUP_SECONDS} s`);
	for (const scenario of plan) await runLoad(url, scenario, CONNECTIONS, WARMUP_SECONDS);
	const rounds: Map<string, LoadResult>[] = [];
	for (let i = 1; i <= ROUNDS; i++) {
		const results = new Map<string, LoadResult>();
		for (const scenario of plan)
			results.set(scenario.name, await runLoad(url, scenario, CONNECTIONS, ROUND_SECONDS));
		const rates = [...results].map(([name, result]) => `${name} ${result.requestsPerSecond}`);
		console.log(`round ${i}/${ROUNDS} (req/s): ${rates.join(" · ")}`);
		rounds.push(results);
	}
	return rounds;
}

async function withWranglerDev<T>(
	options: Parameters<typeof startWranglerDev>[0],
	use: (url: string) => Promise<T>,
): Promise<T> {
	const dev = await startWranglerDev(options);
	running.add(dev.stop);
	try {
		return await use(dev.url);
	} finally {
		await dev.stop();
		running.delete(dev.stop);
	}
}

function gitDescribe(): string {
	try {
		return execFileSync("git", ["describe", "--always", "--dirty"], { encoding: "utf8" }).trim();
	} catch {
		return "unknown";
	}
}

function packageVersion(name: string): string {
	const path = new URL(`../node_modules/${name}/package.json`, import.meta.url);
	return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
}

await main();
