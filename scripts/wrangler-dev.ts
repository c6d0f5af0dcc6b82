/**
 * Runs the real `wrangler dev` for the benchmark and the smoke suite: the Worker as `wrangler.toml`
 * builds it (minified, same compatibility date), configured the way a user configures it, on free
 * loopback ports, with state in a temporary directory. `stop()` ends the whole process group wrangler
 * started (workerd included).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");

export interface WranglerDev {
	url: string;
	/** What wrangler and the Worker printed so far (the Worker's log lines, with `logs`). */
	output(): string;
	/**
	 * The JSON log lines of the Workers so far, parsed. wrangler prefixes each with the Worker's name and
	 * prints `console.error` lines behind an "✘ [ERROR]" badge, so the object is cut out of the line.
	 */
	logLines(): Record<string, unknown>[];
	stop(): Promise<void>;
}

export interface WranglerDevOptions {
	/**
	 * Worker entry replacing `main` (the benchmark's naive build), passed as wrangler dev's script
	 * argument; the rest of `wrangler.toml` still applies. The configured entry otherwise.
	 */
	entry?: string;
	/** Vars and secrets, written to a file that only this process reads. */
	vars: Record<string, string>;
	/**
	 * How wrangler gets `vars`: an `--env-file` (default), or a `.dev.vars` beside the configuration
	 * (a copy of wrangler.toml in the temporary directory, `main` pointing back at the project).
	 */
	via?: "env-file" | "dev-vars";
	/** Passed as `--var NAME:VALUE`. */
	cliVars?: Record<string, string>;
	/** Keep the Worker's log lines in `output()` (the benchmark turns them off: they cost throughput). */
	logs?: boolean;
	/** `--test-scheduled`: `GET /__scheduled?cron=…` runs the Worker's Cron Trigger. */
	testScheduled?: boolean;
	/** Longest wait for the first answer. */
	readyTimeoutMs?: number;
	/**
	 * More Workers' configuration files, run in the same `wrangler dev` after this one (which still answers
	 * on `url`): they share its local queues, so a consumer here receives what the Worker sends.
	 */
	alsoRun?: string[];
}

/** Every name the Worker reads: none may leak into wrangler from the caller's shell. */
const WORKER_CONFIGURATION = /^(CLERK_|CLOSE_|CRM_)/;

const READY_PATH = "/api/v1/health";

/**
 * Starts `wrangler dev` and resolves once it answers. Nothing of the caller's environment that could
 * configure the Worker (a real `CLERK_SECRET_KEY` in the shell, `.dev.vars`) reaches it: an explicit
 * `--env-file` turns `.dev.vars` off, and the Worker's variables are removed from the child's env.
 *
 * @example
 * const dev = await startWranglerDev({ vars: { CLERK_API_URL: emulator.url, ... } });
 * await fetch(`${dev.url}/api/v1/health`);
 * await dev.stop();
 */
export async function startWranglerDev(options: WranglerDevOptions): Promise<WranglerDev> {
	const stateDir = mkdtempSync(join(tmpdir(), "crm-settings-dev-"));
	const port = await freePort();
	const args = [
		join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js"),
		"dev",
		...(options.entry ? [options.entry] : []),
		...configurationArgs(stateDir, options),
		...(options.alsoRun ?? []).map((config) => `--config=${join(ROOT, config)}`),
		...Object.entries(options.cliVars ?? {}).map(([name, value]) => `--var=${name}:${value}`),
		"--ip=127.0.0.1",
		`--port=${port}`,
		`--inspector-port=${await freePort()}`,
		`--persist-to=${join(stateDir, "state")}`,
		"--show-interactive-dev-session=false",
		...(options.testScheduled ? ["--test-scheduled"] : []),
		`--log-level=${options.logs ? "log" : "warn"}`,
	];
	// This Node (24, from the `node` devDependency): wrangler refuses the Node 20 a machine may carry.
	const child = spawn(process.execPath, args, {
		cwd: ROOT,
		// A process group of its own, so that stop() reaches workerd too.
		detached: true,
		stdio: ["ignore", "pipe", "pipe"],
		env: childEnv(),
	});
	let output = "";
	const keep = (chunk: Buffer) => {
		output = (output + chunk.toString()).slice(-100_000);
	};
	child.stdout?.on("data", keep);
	child.stderr?.on("data", keep);

	const url = `http://127.0.0.1:${port}`;
	const stop = async () => {
		await endProcessGroup(child);
		rmSync(stateDir, { recursive: true, force: true });
	};
	try {
		await waitUntilAnswering(`${url}${READY_PATH}`, child, options.readyTimeoutMs ?? 60_000);
	} catch (error) {
		await stop();
		throw new Error(`wrangler dev did not start: ${(error as Error).message}\n${output.slice(-4000)}`);
	}
	return { url, output: () => output, logLines: () => parseLogLines(output), stop };
}

function parseLogLines(output: string): Record<string, unknown>[] {
	return output
		.split("\n")
		.map((text) => /\{.*\}/.exec(text)?.[0])
		.filter((json) => json !== undefined)
		.map((json) => JSON.parse(json) as Record<string, unknown>);
}

function configurationArgs(stateDir: string, options: WranglerDevOptions): string[] {
	if (options.via === "dev-vars") {
		// wrangler reads .dev.vars beside the configuration file it is given, and resolves `main` and the
		// static assets' `directory` against that file's folder: both point back at the project.
		const config = readFileSync(join(ROOT, "wrangler.toml"), "utf8")
			.replace(/^main = "(.+)"$/m, (_, main: string) => `main = ${JSON.stringify(join(ROOT, main))}`)
			.replace(/^directory = "(.+)"$/m, (_, dir: string) => `directory = ${JSON.stringify(join(ROOT, dir))}`);
		writeFileSync(join(stateDir, "wrangler.toml"), config);
		writeFileSync(join(stateDir, ".dev.vars"), toEnvFile(options.vars), { mode: 0o600 });
		return [`--config=${join(stateDir, "wrangler.toml")}`];
	}
	const envFile = join(stateDir, "worker.env");
	writeFileSync(envFile, toEnvFile(options.vars), { mode: 0o600 });
	// Named, so that the configurations of `alsoRun` follow it: wrangler's first configuration is the one served.
	return [`--env-file=${envFile}`, `--config=${join(ROOT, "wrangler.toml")}`];
}

function toEnvFile(vars: Record<string, string>): string {
	// Double quotes keep the PEM's `\n` escapes one line; dotenv turns them back into newlines.
	return Object.entries(vars)
		.map(([name, value]) => `${name}="${value.replaceAll("\n", "\\n")}"`)
		.join("\n");
}

function childEnv(): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {
		...process.env,
		WRANGLER_SEND_METRICS: "false",
		// Plain text: the Worker's log lines are read back by the smoke suite.
		FORCE_COLOR: "0",
		// wrangler appends every line the Worker logs to a debug log file; not what is being measured.
		WRANGLER_WRITE_LOGS: "false",
		// Offline is fine: the Worker does not read request.cf, so skip fetching its sample.
		CLOUDFLARE_CF_FETCH_ENABLED: "false",
	};
	for (const name of Object.keys(env)) if (WORKER_CONFIGURATION.test(name)) delete env[name];
	return env;
}

export async function freePort(): Promise<number> {
	const server = createServer().listen(0, "127.0.0.1");
	await once(server, "listening");
	const address = server.address();
	server.close();
	if (address === null || typeof address === "string") throw new Error("no TCP port");
	return address.port;
}

async function waitUntilAnswering(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
		try {
			const response = await fetch(url);
			await response.body?.cancel();
			return;
		} catch {
			await new Promise((resolve) => setTimeout(resolve, 250));
		}
	}
	throw new Error(`no answer from ${url} within ${timeoutMs} ms`);
}

/** SIGTERM to the group, SIGKILL to whatever is left after 5 s; resolves when no member remains. */
async function endProcessGroup(child: ChildProcess): Promise<void> {
	const group = child.pid;
	if (group === undefined) return;
	const signalGroup = (signal: NodeJS.Signals | 0) => {
		try {
			process.kill(-group, signal);
			return true;
		} catch {
			return false; // ESRCH: no process of the group is left
		}
	};
	signalGroup("SIGTERM");
	for (let waited = 0; waited < 5000; waited += 100) {
		if (!signalGroup(0)) return;
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	signalGroup("SIGKILL");
	while (signalGroup(0)) await new Promise((resolve) => setTimeout(resolve, 100));
}
