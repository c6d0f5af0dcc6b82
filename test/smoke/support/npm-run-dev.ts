/**
 * `npm run dev` (scripts/dev.ts) as a developer runs it, on free ports, for the smoke tests that check what
 * it prints and serves.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { readDevVarsState } from "../../../scripts/dev-keys.ts";
import { freePort } from "../../../scripts/wrangler-dev.ts";

const ROOT = join(import.meta.dirname, "..", "..", "..");

export interface NpmRunDev {
	/** The `node scripts/dev.ts` process (the tests of its shutdown signal it themselves). */
	process: ChildProcess;
	port: number;
	emulatorPort: number;
	/** `http://127.0.0.1:<port>`, where the Worker answers. */
	origin: string;
	/** What it printed so far, stdout and stderr. */
	output(): string;
	/** The development token it printed (`TOKEN='…'`). */
	token(): string;
	/** SIGTERM (it stops wrangler, workerd and the emulator), SIGKILL if it is still running after 15 s. */
	stop(): Promise<void>;
}

/**
 * Starts `npm run dev` with `env` added to this process's environment, and resolves once it prints
 * "Stop with Ctrl-C". Refuses to start with real Clerk keys in `.dev.vars`: a test never talks to real Clerk.
 */
export async function startNpmRunDev(env: Record<string, string> = {}): Promise<NpmRunDev> {
	if (readDevVarsState().kind === "real-clerk") {
		throw new Error("move .dev.vars aside to run the smoke suite: it sets real Clerk keys");
	}
	const [port, emulatorPort] = [await freePort(), await freePort()];
	const child = spawn(process.execPath, [join(ROOT, "scripts", "dev.ts")], {
		cwd: ROOT,
		env: { ...process.env, ...env, PORT: String(port), EMULATOR_PORT: String(emulatorPort) },
		stdio: ["ignore", "pipe", "pipe"],
	});
	let output = "";
	const keep = (chunk: Buffer) => {
		output += chunk.toString();
	};
	child.stdout?.on("data", keep);
	child.stderr?.on("data", keep);

	const stop = async () => {
		if (child.exitCode !== null || child.signalCode !== null) return;
		child.kill("SIGTERM");
		const stopped = await Promise.race([
			once(child, "exit").then(() => true),
			new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 15_000)),
		]);
		if (!stopped) child.kill("SIGKILL");
	};
	const deadline = Date.now() + 60_000;
	while (!output.includes("Stop with Ctrl-C")) {
		if (child.exitCode !== null || Date.now() > deadline) {
			await stop();
			throw new Error(`npm run dev did not start:\n${output.slice(-4000)}`);
		}
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
	return {
		process: child,
		port,
		emulatorPort,
		origin: `http://127.0.0.1:${port}`,
		output: () => output,
		token: () => /TOKEN='([^']+)'/.exec(output)?.[1] ?? "",
		stop,
	};
}
