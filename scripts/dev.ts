/**
 * `npm run dev`: the Worker on localhost under `wrangler dev`, running the production code path.
 *
 * - `.dev.vars` with real CLERK_SECRET_KEY and CLERK_JWT_KEY: plain `wrangler dev` against real Clerk.
 * - Otherwise (a fresh machine, no Clerk account): the local Clerk emulator on EMULATOR_PORT (8788), the
 *   development keys of `.dev/` (encryption key ring included, so records are sealed as in production),
 *   and a Worker configured by `--env-file` to use both; once it answers, a ready-to-paste block of curl
 *   commands with an admin token. The API reference at /api/v1/docs comes from assets of this run's own
 *   (`--assets`, a temporary directory) whose "Authorize" is filled with that token: the build that
 *   `wrangler deploy` ships (dist/assets) never holds one.
 *
 * Ctrl-C or SIGTERM stops wrangler with everything it started (esbuild, workerd) and the emulator; when
 * wrangler exits, so does this, with its code.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { stripVTControlCharacters } from "node:util";
import { startEmulator } from "../emulator/server.ts";
import { SETTINGS_PATH } from "../src/crm/routes.ts";
import { DOCS } from "../src/http/paths.ts";
import {
	DEV_BULLHORN_CLIENT,
	DEV_BULLHORN_USER,
	DEV_CLOSE_API_KEY,
	DEV_DIR,
	DEV_ORG_ID,
	DEV_USER_ID,
	loadOrCreateDevKeys,
	mintDevToken,
	ROOT,
	readDevVarsState,
} from "./dev-keys.ts";
import { buildDocsAssets } from "./docs-page/build.ts";

const READY_TIMEOUT_MS = 60_000;
/**
 * wrangler dev's route that runs the Worker's `scheduled` handler once (miniflare's, answered before the
 * Worker; `/__scheduled` exists only under `--test-scheduled`). `?cron=` picks the pattern; none is needed
 * here, the Worker has one.
 */
const LOCAL_SCHEDULED = "/cdn-cgi/local/scheduled";
/** The first and last lines of wrangler's scheduled-worker hint (plain text, colours removed). */
const SCHEDULED_HINT_FIRST = "Scheduled Workers are not automatically triggered during local development.";
const SCHEDULED_HINT_LAST = "#test-cron-triggers-locally";
/** A hint longer than this is not the one known: its lines are passed on after all. */
const SCHEDULED_HINT_MAX_LINES = 8;
// Run wrangler's own entry with this Node (24, from the `node` devDependency) rather than whatever
// `node` is first on PATH: wrangler refuses Node < 22.12, and a machine may carry Node 20.
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
// Configuration `npm run dev` owns in emulator mode. wrangler lets process.env override an --env-file,
// so a value left in the developer's shell would silently point the Worker at something else.
const EMULATOR_MODE_VARS = [
	"CLERK_SECRET_KEY",
	"CLERK_JWT_KEY",
	"CLERK_API_URL",
	"CLOSE_API_URL",
	"BULLHORN_LOGIN_INFO_URL",
	"BULLHORN_CLIENT_ID",
	"BULLHORN_CLIENT_SECRET",
];

/**
 * What wrangler does besides running the Worker, turned off unless the shell says otherwise:
 * - CLOUDFLARE_CF_FETCH_ENABLED: miniflare fetches https://workers.cloudflare.com/cf.json for
 *   `request.cf` at every start, and offline prints the failure's stack ("getaddrinfo ENOTFOUND
 *   workers.cloudflare.com"); the Worker never reads `request.cf`, so the placeholder is enough.
 * - WRANGLER_SEND_METRICS: wrangler's usage metrics.
 */
const WRANGLER_QUIET: Record<string, string> = {
	CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
	WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? "false",
};

const port = portFromEnv("PORT", 8787);
const devVars = readDevVarsState();

if (devVars.kind === "real-clerk") {
	console.log(
		"npm run dev: .dev.vars sets CLERK_SECRET_KEY and CLERK_JWT_KEY, so the Worker uses your real Clerk instance.\n" +
			"Session tokens must come from your front end (Clerk's getToken()); `npm run token` tokens will be refused.\n" +
			`The API reference: http://localhost:${port}${DOCS.path}\n` +
			`Run the Cron Trigger (the key-rotation job) once: curl http://localhost:${port}${LOCAL_SCHEDULED}\n`,
	);
	// As an --env-file rather than wrangler's own .dev.vars loading, which ignores the shell: this way a
	// value set in the shell (CRM_ENCRYPTION_KEYS=… npm run dev) reaches the Worker here too, and wins.
	runWrangler(["dev", "--env-file", join(ROOT, ".dev.vars"), "--port", String(port)], {
		...process.env,
		...WRANGLER_QUIET,
	});
} else {
	if (devVars.kind === "incomplete") {
		console.log(`npm run dev: ignoring .dev.vars (${devVars.reason}); using the local Clerk emulator.\n`);
	}
	await startWithEmulator();
}

async function startWithEmulator() {
	const emulatorPort = portFromEnv("EMULATOR_PORT", 8788);
	await assertPortFree(emulatorPort, "EMULATOR_PORT");
	await assertPortFree(port, "PORT");

	const keys = await loadOrCreateDevKeys();
	const emulator = await startEmulator({
		secretKey: keys.secretKey,
		port: emulatorPort,
		autoCreateOrganizations: true,
		closeApiKeys: [DEV_CLOSE_API_KEY],
		// The Bullhorn API user an admin can connect, signing in with the platform's development client.
		bullhornUsers: [
			{ ...DEV_BULLHORN_USER, clientId: DEV_BULLHORN_CLIENT.id, clientSecret: DEV_BULLHORN_CLIENT.secret },
		],
		// A real Clerk is tens of milliseconds away: EMULATOR_LATENCY_MS=40 makes the emulator feel like one.
		latencyMs: numberFromEnv("EMULATOR_LATENCY_MS", 0, 10_000),
	});

	// With --env-file, wrangler reads only the files named, never .dev.vars or .env (wrangler 4,
	// getVarsForDev), so a stray .dev.vars cannot mix with these values.
	const envFile = join(DEV_DIR, "emulator.env");
	const jwtKeyBody = keys.publicKeyPem.replace(/-----[A-Z ]+-----|\s/g, "");
	// A ring set in the shell wins (wrangler reads the shell too); otherwise the development ring.
	const ringFromShell = Boolean(process.env.CRM_ENCRYPTION_KEYS);
	writeFileSync(
		envFile,
		[
			"# Written by `npm run dev` on every start: the Worker's secrets for the local Clerk emulator.",
			`CLERK_SECRET_KEY=${keys.secretKey}`,
			`CLERK_JWT_KEY=${jwtKeyBody}`,
			`CLERK_API_URL=${emulator.url}`,
			`CLOSE_API_URL=${emulator.url}`,
			`BULLHORN_LOGIN_INFO_URL=${emulator.url}/rest-services/loginInfo`,
			`BULLHORN_CLIENT_ID=${DEV_BULLHORN_CLIENT.id}`,
			`BULLHORN_CLIENT_SECRET=${DEV_BULLHORN_CLIENT.secret}`,
			...(ringFromShell ? [] : [`CRM_ENCRYPTION_KEYS=${keys.encryptionKeys}`]),
			"",
		].join("\n"),
		{ mode: 0o600 },
	);

	// CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV=false in a shell would make wrangler skip --env-file too.
	const env: NodeJS.ProcessEnv = {
		...process.env,
		...WRANGLER_QUIET,
		CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: "true",
	};
	for (const name of EMULATOR_MODE_VARS) delete env[name];
	const token = await mintDevToken(keys, {
		orgId: DEV_ORG_ID,
		role: "org:admin",
		userId: DEV_USER_ID,
		version: 2,
		expiresInSeconds: 3600,
	});
	// The API reference of this run, "Authorize" filled with the token: assets of its own, so that neither
	// the deploy build (dist/assets, which wrangler's `[build]` still refreshes) nor another `npm run dev`
	// ever sees it.
	const { outDir: docsAssets } = buildDocsAssets({
		outDir: mkdtempSync(join(tmpdir(), "crm-settings-docs-")),
		devToken: token,
	});
	const wrangler = runWrangler(
		["dev", "--env-file", envFile, "--assets", docsAssets, "--port", String(port)],
		env,
		async () => {
			rmSync(docsAssets, { recursive: true, force: true });
			await emulator.close();
		},
	);
	const apiUrl = `http://127.0.0.1:${port}${SETTINGS_PATH}`;
	const status = await waitForWorker(apiUrl, token, wrangler);
	if (status === undefined) return; // wrangler exited; its exit handler ends this process
	if (status === "timeout") {
		console.error(
			`npm run dev: the Worker did not answer within ${READY_TIMEOUT_MS / 1000} s; still waiting.`,
		);
	} else if (status !== 200) {
		console.error(`npm run dev: warning: GET ${SETTINGS_PATH} with the token below answered ${status}.`);
	}
	const origin = `http://127.0.0.1:${port}`;
	console.log(
		helpText(
			apiUrl,
			emulator.url,
			token,
			ringFromShell,
			`${origin}${DOCS.path}`,
			`${origin}${LOCAL_SCHEDULED}`,
		),
	);
}

/**
 * Starts wrangler in a process group of its own, stops that whole group (wrangler, esbuild, workerd) on
 * Ctrl-C or SIGTERM, and exits with wrangler's code once it has gone (after `cleanup`, which stops the
 * emulator). Signalling wrangler alone is not enough: a SIGTERM leaves its workerd holding the port.
 * Its stderr passes through `withoutScheduledHint`.
 */
function runWrangler(args: string[], env: NodeJS.ProcessEnv, cleanup?: () => Promise<void>): ChildProcess {
	// stdin is not passed on: a process group in the background that reads the terminal is stopped by it.
	const child = spawn(process.execPath, [WRANGLER, ...args], {
		cwd: ROOT,
		// On a terminal, warnings keep their colours although stderr is now a pipe.
		env:
			process.stdout.isTTY && process.stderr.isTTY && env.FORCE_COLOR === undefined
				? { ...env, FORCE_COLOR: "1" }
				: env,
		stdio: ["ignore", "inherit", "pipe"],
		detached: true,
	});
	const stderrDone = child.stderr ? withoutScheduledHint(child.stderr, process.stderr) : Promise.resolve();
	const signalGroup = (signal: NodeJS.Signals) => {
		try {
			if (child.pid !== undefined) process.kill(-child.pid, signal);
		} catch {
			// The group has already gone.
		}
	};

	const stop = (signal: NodeJS.Signals) => {
		signalGroup(signal);
		// wrangler normally stops workerd and exits within a second; never hang on it.
		setTimeout(() => signalGroup("SIGKILL"), 5_000).unref();
	};
	process.on("SIGINT", stop);
	process.on("SIGTERM", stop);
	// Should this script die of an error, wrangler's group (detached, so it would live on holding the
	// port) dies with it.
	process.on("exit", () => signalGroup("SIGKILL"));

	child.on("error", async (error) => {
		console.error(`npm run dev: could not start wrangler: ${error.message}`);
		await cleanup?.();
		process.exit(1);
	});
	child.on("exit", async (code, signal) => {
		// Whatever wrangler left behind in its group (a workerd mid-restart) goes with it.
		signalGroup("SIGKILL");
		// Its last words (an error) reach the terminal before this exits.
		await Promise.race([stderrDone, new Promise((resolve) => setTimeout(resolve, 1_000))]);
		await cleanup?.();
		process.exit(code ?? (signal === "SIGINT" ? 130 : 1));
	});
	return child;
}

/**
 * Copies wrangler's stderr to `to` line by line, leaving out one block: wrangler's warning that Scheduled
 * Workers are not triggered locally, with its own curl (`localhost`, and printed before the Worker
 * answers). The help printed once the Worker answers gives the same route, for 127.0.0.1. Any other
 * line passes untouched, and so does a block that starts like the hint but does not end like it.
 * Resolves when wrangler's stderr ends.
 */
async function withoutScheduledHint(from: NodeJS.ReadableStream, to: NodeJS.WritableStream): Promise<void> {
	const lines = createInterface({ input: from, crlfDelay: Number.POSITIVE_INFINITY });
	let held: string[] | undefined;
	let blankAfterHint = 0;
	lines.on("line", (line) => {
		const text = stripVTControlCharacters(line);
		if (held === undefined && text.includes(SCHEDULED_HINT_FIRST)) {
			held = [line];
			return;
		}
		if (held !== undefined) {
			held.push(line);
			if (text.includes(SCHEDULED_HINT_LAST)) {
				held = undefined;
				// wrangler ends a warning with blank lines; they go with it.
				blankAfterHint = 2;
			} else if (held.length > SCHEDULED_HINT_MAX_LINES) {
				to.write(`${held.join("\n")}\n`);
				held = undefined;
			}
			return;
		}
		if (blankAfterHint > 0 && text.trim() === "") {
			blankAfterHint--;
			return;
		}
		blankAfterHint = 0;
		to.write(`${line}\n`);
	});
	await once(lines, "close");
	if (held !== undefined) to.write(`${held.join("\n")}\n`);
}

/**
 * Polls the settings endpoint until the Worker gives any HTTP answer; returns its status, "timeout",
 * or undefined if wrangler exited first. The request carries the printed token, so a 200 here
 * proves the printed curl works.
 */
async function waitForWorker(
	url: string,
	token: string,
	wrangler: ChildProcess,
): Promise<number | "timeout" | undefined> {
	const deadline = Date.now() + READY_TIMEOUT_MS;
	while (Date.now() < deadline) {
		if (wrangler.exitCode !== null || wrangler.signalCode !== null) return undefined;
		try {
			const response = await fetch(url, {
				headers: { Authorization: `Bearer ${token}` },
				signal: AbortSignal.timeout(5_000),
			});
			await response.body?.cancel();
			return response.status;
		} catch {
			await new Promise((resolve) => setTimeout(resolve, 500));
		}
	}
	return "timeout";
}

function helpText(
	apiUrl: string,
	emulatorUrl: string,
	token: string,
	ringFromShell: boolean,
	docsUrl: string,
	cronUrl: string,
): string {
	const auth = `-H "Authorization: Bearer $TOKEN"`;
	const body = JSON.stringify({ provider: "close", apiKey: DEV_CLOSE_API_KEY });
	const bullhorn = JSON.stringify({ provider: "bullhorn", ...DEV_BULLHORN_USER });
	const line = "-".repeat(100);
	return `
${line}
CRM settings API (development): ${apiUrl}
Clerk: local emulator at ${emulatorUrl}. Organizations are created on first use and kept in memory
until you stop \`npm run dev\`. Keys: .dev/ (delete the folder for fresh ones).

Paste into a shell: an org:admin token of ${DEV_ORG_ID} (valid 1 hour) and a GET, which answers
{"connected":false,"provider":null,"apiKeyMasked":null} until you connect a CRM:

  TOKEN='${token}'
  curl -s -w '\\n' ${apiUrl} ${auth}

Connect Close (the emulator's Close accepts the key ${DEV_CLOSE_API_KEY}), then disconnect:

  curl -s -w '\\n' -X POST ${apiUrl} ${auth} -H 'Content-Type: application/json' -d '${body}'
  curl -s -w '\\n' -X DELETE ${apiUrl} ${auth}

Connect Bullhorn by its API user (the emulator's Bullhorn knows ${DEV_BULLHORN_USER.username}; the platform's
development Bullhorn API key signs in), then see who changed what:

  curl -s -w '\\n' -X POST ${apiUrl} ${auth} -H 'Content-Type: application/json' -d '${bullhorn}'
  curl -s -w '\\n' ${apiUrl}/history ${auth}

Or in a browser, every operation with "Try it out", "Authorize" already filled with this token:

  ${docsUrl}

Run the Cron Trigger (the key-rotation job) once; its log lines show here:

  curl -s -w '\\n' ${cronUrl}

The stored record, as Clerk holds it (the key is an AES-256-GCM envelope, sealed with ${
		ringFromShell ? "the CRM_ENCRYPTION_KEYS of your shell" : "the development key ring of .dev/keys.json"
	}):

  curl -s -w '\\n' ${emulatorUrl}/__emulator/organizations/${DEV_ORG_ID}

More tokens: TOKEN=$(npm run -s token -- --org ORG --role ROLE)   (--help for --user, --v1, --ttl;
a --role org:member token reads but gets 403 on POST and DELETE)
Ports: PORT (API, 8787) and EMULATOR_PORT (emulator, 8788); EMULATOR_LATENCY_MS adds Clerk's network delay.
Stop with Ctrl-C.
${line}`;
}

function portFromEnv(name: string, fallback: number): number {
	return numberFromEnv(name, fallback, 65535, 1);
}

function numberFromEnv(name: string, fallback: number, max: number, min = 0): number {
	const raw = process.env[name];
	if (raw === undefined || raw === "") return fallback;
	const value = Number(raw);
	if (!Number.isInteger(value) || value < min || value > max) {
		console.error(`npm run dev: ${name}=${raw} must be a whole number from ${min} to ${max}`);
		process.exit(2);
	}
	return value;
}

/** Fails early with the variable to change, rather than a stack trace from deep inside a server. */
async function assertPortFree(port: number, variable: string): Promise<void> {
	const free = await new Promise<boolean>((resolve) => {
		const probe = createServer();
		probe.once("error", () => resolve(false));
		probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
	});
	if (!free) {
		console.error(`npm run dev: port ${port} is in use; set ${variable} to another port.`);
		process.exit(1);
	}
}
