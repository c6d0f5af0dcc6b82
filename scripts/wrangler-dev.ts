/**
 * Runs `wrangler dev` for the benchmark: the Worker as `wrangler.toml` builds it (minified, same
 * compatibility date), its configuration from a private env file, on free loopback ports, with state in
 * a temporary directory. `stop()` ends the whole process group wrangler started (workerd included).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface WranglerDev {
	url: string;
	stop(): Promise<void>;
}

export interface WranglerDevOptions {
	/** Worker entry replacing `main` (the benchmark's verify Worker); the configured entry otherwise. */
	entry?: string;
	/** Vars and secrets, written to an env file that only this process reads. */
	vars: Record<string, string>;
	/** Longest wait for the first answer. */
	readyTimeoutMs?: number;
}

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
	const stateDir = mkdtempSync(join(tmpdir(), "crm-settings-bench-"));
	const envFile = join(stateDir, "bench.env");
	writeFileSync(envFile, toEnvFile(options.vars), { mode: 0o600 });

	const port = await freePort();
	const args = [
		"--no-install",
		"wrangler",
		"dev",
		...(options.entry ? [options.entry] : []),
		"--ip=127.0.0.1",
		`--port=${port}`,
		`--inspector-port=${await freePort()}`,
		`--env-file=${envFile}`,
		`--persist-to=${join(stateDir, "state")}`,
		"--show-interactive-dev-session=false",
		"--log-level=warn",
	];
	const child = spawn("npx", args, {
		// A process group of its own, so that stop() reaches workerd too.
		detached: true,
		stdio: ["ignore", "ignore", "pipe"],
		env: childEnv(options.vars),
	});
	let stderr = "";
	child.stderr?.on("data", (chunk: Buffer) => {
		stderr = (stderr + chunk.toString()).slice(-4000);
	});

	const url = `http://127.0.0.1:${port}`;
	const stop = async () => {
		await endProcessGroup(child);
		rmSync(stateDir, { recursive: true, force: true });
	};
	try {
		await waitUntilAnswering(`${url}${READY_PATH}`, child, options.readyTimeoutMs ?? 60_000);
	} catch (error) {
		await stop();
		throw new Error(`wrangler dev did not start: ${(error as Error).message}\n${stderr}`);
	}
	return { url, stop };
}

function toEnvFile(vars: Record<string, string>): string {
	// Double quotes keep the PEM's `\n` escapes one line; dotenv turns them back into newlines.
	return Object.entries(vars)
		.map(([name, value]) => `${name}="${value.replaceAll("\n", "\\n")}"`)
		.join("\n");
}

function childEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {
		...process.env,
		WRANGLER_SEND_METRICS: "false",
		// wrangler appends every line the Worker logs to a debug log file; not what is being measured.
		WRANGLER_WRITE_LOGS: "false",
		// Offline is fine: the Worker does not read request.cf, so skip fetching its sample.
		CLOUDFLARE_CF_FETCH_ENABLED: "false",
	};
	for (const name of Object.keys(vars)) delete env[name];
	return env;
}

async function freePort(): Promise<number> {
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
