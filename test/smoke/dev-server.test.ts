/**
 * Smoke suite through the real `wrangler dev`: the Worker configured the way a user configures it
 * (`.dev.vars`, `--env-file`, `--var`, the shell of `npm run dev`), not through the test bindings the
 * workerd suite hands over directly. Each server runs against an emulator of its own, in Node.
 *
 * `npm run test:smoke`; about 20 s on a 2-core machine, most of it wrangler starting four times.
 */
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/server.ts";
import { generateSigningKeyPair, importSigningKey, mintSessionToken } from "../../emulator/tokens.ts";
import { startWranglerDev, type WranglerDev } from "../../scripts/wrangler-dev.ts";
import { SETTINGS_PATH } from "../../src/crm/routes.ts";
import { type NpmRunDev, startNpmRunDev } from "./support/npm-run-dev.ts";

const SECRET_KEY = "sk_test_smoke_0123456789abcdefghijklmnopqrstuvwxyz";
const RING = "smoke2026:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const CLOSE_KEY = "api_smoke00000000000000000.smokesecret0000000000000";

let keys: Awaited<ReturnType<typeof generateSigningKeyPair>>;
const emulators: RunningEmulator[] = [];

beforeAll(async () => {
	keys = await generateSigningKeyPair();
});
afterAll(async () => {
	await Promise.all(emulators.map((emulator) => emulator.close()));
});

async function newEmulator(): Promise<RunningEmulator> {
	const emulator = await startEmulator({ secretKey: SECRET_KEY, autoCreateOrganizations: true });
	emulators.push(emulator);
	return emulator;
}

async function adminToken(orgId: string): Promise<string> {
	return mintSessionToken(await importSigningKey(keys.privateKeyPem), {
		orgId,
		role: "org:admin",
		userId: "user_smoke",
		expiresInSeconds: 600,
	});
}

async function call(baseUrl: string, method: string, token: string, body?: unknown) {
	const response = await fetch(`${baseUrl}${SETTINGS_PATH}`, {
		method,
		headers: {
			Authorization: `Bearer ${token}`,
			...(body === undefined ? {} : { "Content-Type": "application/json" }),
		},
		...(body === undefined ? {} : { body: JSON.stringify(body) }),
	});
	return {
		status: response.status,
		requestId: response.headers.get("X-Request-Id"),
		body: await response.json(),
	};
}

async function storedCrm(emulator: RunningEmulator, orgId: string): Promise<unknown> {
	const response = await fetch(`${emulator.url}/__emulator/organizations/${orgId}`);
	const organization = (await response.json()) as { private_metadata: { crm?: unknown } };
	return organization.private_metadata.crm;
}

/** The first of the Worker's JSON log lines with this `msg`, once wrangler has printed it (within 5 s). */
async function logLine(dev: WranglerDev, msg: string): Promise<Record<string, unknown> | undefined> {
	const deadline = Date.now() + 5000;
	do {
		const line = dev.logLines().find((fields) => fields.msg === msg);
		if (line) return line;
		await new Promise((resolve) => setTimeout(resolve, 50));
	} while (Date.now() < deadline);
	return undefined;
}

async function expectConfigurationError(dev: WranglerDev, orgId: string, variable: string) {
	const response = await call(dev.url, "GET", await adminToken(orgId));
	expect(response).toEqual({
		status: 500,
		requestId: expect.any(String),
		body: { error: "Internal server error", code: "INTERNAL_ERROR", requestId: response.requestId },
	});
	expect(await logLine(dev, "configuration error")).toEqual({
		level: "error",
		msg: "configuration error",
		problem: expect.stringContaining(variable),
		requestId: response.requestId,
	});
}

describe("wrangler dev with a key ring in .dev.vars and the upstream URLs as --var", () => {
	let emulator: RunningEmulator;
	let dev: WranglerDev;
	beforeAll(async () => {
		emulator = await newEmulator();
		await fetch(`${emulator.url}/__emulator/close-keys`, {
			method: "POST",
			body: JSON.stringify({ apiKey: CLOSE_KEY }),
		});
		dev = await startWranglerDev({
			via: "dev-vars",
			vars: { CLERK_SECRET_KEY: SECRET_KEY, CLERK_JWT_KEY: keys.publicKeyPem, CRM_ENCRYPTION_KEYS: RING },
			cliVars: { CLERK_API_URL: emulator.url, CLOSE_API_URL: emulator.url },
			logs: true,
		});
	});
	afterAll(() => dev?.stop());

	it("answers GET, POST and DELETE as documented, storing the key as an envelope GET still masks", async () => {
		const token = await adminToken("org_smokeA");
		expect((await call(dev.url, "GET", token)).body).toEqual({
			connected: false,
			provider: null,
			apiKeyMasked: null,
		});

		const saved = await call(dev.url, "POST", token, { provider: "close", apiKey: CLOSE_KEY, verify: true });
		expect(saved).toEqual({
			status: 200,
			requestId: expect.any(String),
			body: { success: true, provider: "close", connectedAt: expect.any(String), verified: true },
		});
		const { connectedAt } = saved.body as { connectedAt: string };

		const stored = (await storedCrm(emulator, "org_smokeA")) as { apiKey: unknown };
		expect(stored.apiKey).toEqual({
			v: 1,
			alg: "A256GCM",
			kid: "smoke2026",
			iv: expect.any(String),
			ct: expect.any(String),
		});
		expect(JSON.stringify(stored)).not.toContain(CLOSE_KEY);

		expect(await call(dev.url, "GET", token)).toEqual({
			status: 200,
			requestId: expect.any(String),
			body: {
				connected: true,
				provider: "close",
				connectedAt,
				apiKeyMasked: "********************0000",
				apiKeyId: "api_smoke00000000000000000",
				connectedBy: "user_smoke",
				verifiedAt: connectedAt,
				status: "verified",
				checkedAt: connectedAt,
			},
		});

		expect((await call(dev.url, "DELETE", token)).body).toEqual({ success: true, disconnected: true });
		expect(await storedCrm(emulator, "org_smokeA")).toBeUndefined();
	});
});

// The emulator's URL is filled in per case; `variable` is what the log line must name.
const MISCONFIGURED: [string, Record<string, string>, string][] = [
	[
		"a malformed ring in an --env-file",
		{ CRM_ENCRYPTION_KEYS: "smoke2026:not-32-bytes" },
		"CRM_ENCRYPTION_KEYS",
	],
	["an --env-file without CLERK_SECRET_KEY", { CLERK_SECRET_KEY: "" }, "CLERK_SECRET_KEY"],
];

describe.each(MISCONFIGURED)("wrangler dev with %s", (_name, change, variable) => {
	let dev: WranglerDev;
	beforeAll(async () => {
		const emulator = await newEmulator();
		const vars = {
			CLERK_SECRET_KEY: SECRET_KEY,
			CLERK_JWT_KEY: keys.publicKeyPem,
			CLERK_API_URL: emulator.url,
		};
		// An empty value leaves the variable out of the file altogether.
		const configured = Object.entries({ ...vars, ...change }).filter(([, value]) => value !== "");
		dev = await startWranglerDev({ vars: Object.fromEntries(configured), logs: true });
	});
	afterAll(() => dev?.stop());

	it(`answers 500 and logs a configuration error naming ${variable}`, async () => {
		await expectConfigurationError(dev, "org_smokeB", variable);
	});
});

describe("npm run dev", () => {
	let dev: NpmRunDev;
	let port: number;
	let emulatorPort: number;
	beforeAll(async () => {
		// A ring in the shell reaches the Worker instead of the development ring.
		dev = await startNpmRunDev({ CRM_ENCRYPTION_KEYS: RING });
		({ port, emulatorPort } = dev);
	});
	afterAll(() => dev?.stop());

	it("prints a working curl and the emulator's inspection endpoint, and seals with the shell's ring", async () => {
		expect(dev.output()).toContain(
			`curl -s -w '\\n' http://127.0.0.1:${emulatorPort}/__emulator/organizations/org_dev`,
		);
		const token = /TOKEN='([^']+)'/.exec(dev.output())?.[1] as string;
		const apiUrl = `http://127.0.0.1:${port}`;
		const saved = await call(apiUrl, "POST", token, {
			provider: "close",
			apiKey: "api_dev0000000000000000000.devsecret000000000000000",
		});
		expect(saved.status).toBe(200);
		const response = await fetch(`http://127.0.0.1:${emulatorPort}/__emulator/organizations/org_dev`);
		const organization = (await response.json()) as {
			private_metadata: { crm: { apiKey: { kid: string } } };
		};
		expect(organization.private_metadata.crm.apiKey.kid).toBe("smoke2026");
	});

	it("connects the printed Bullhorn API user through the emulator's Bullhorn, and the history says who did", async () => {
		const token = /TOKEN='([^']+)'/.exec(dev.output())?.[1] as string;
		expect(dev.output()).toContain(`"username":"dev.api","password":"dev-password"`);
		const apiUrl = `http://127.0.0.1:${port}`;
		const saved = await call(apiUrl, "POST", token, {
			provider: "bullhorn",
			username: "dev.api",
			password: "dev-password",
		});
		expect(saved.status).toBe(200);
		expect(saved.body).toMatchObject({ success: true, provider: "bullhorn", verified: true });
		const read = await call(apiUrl, "GET", token);
		expect(read.body).toMatchObject({
			connected: true,
			provider: "bullhorn",
			apiUser: "dev.api",
			status: "verified",
		});
		const history = await fetch(`${apiUrl}/api/v1/operations/crm/settings/history`, {
			headers: { Authorization: `Bearer ${token}` },
		});
		const { events } = (await history.json()) as { events: { type: string; by: unknown }[] };
		expect(events[0]).toMatchObject({ type: "replaced", by: { userId: "user_dev" } });
	});

	it("stops every process it started on SIGTERM, freeing both ports", async () => {
		const group = descendants(dev.process.pid as number);
		expect(group.length).toBeGreaterThanOrEqual(2); // wrangler and workerd at least
		dev.process.kill("SIGTERM");
		await once(dev.process, "exit");
		const deadline = Date.now() + 10_000;
		while (group.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
		expect(group.filter(isAlive)).toEqual([]);
		expect(await isFree(port)).toBe(true);
		expect(await isFree(emulatorPort)).toBe(true);
	});
});

async function isFree(port: number): Promise<boolean> {
	const server = createServer();
	return new Promise((resolve) => {
		server.once("error", () => resolve(false));
		server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
	});
}

/** Every process below `pid` (Linux `ps`), whatever process group it moved to. */
function descendants(pid: number): number[] {
	const table = execFileSync("ps", ["-e", "-o", "pid=,ppid="], { encoding: "utf8" })
		.trim()
		.split("\n")
		.map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
	const found: number[] = [];
	const queue = [pid];
	while (queue.length > 0) {
		const parent = queue.shift() as number;
		for (const [child, ppid] of table) {
			if (ppid === parent) {
				found.push(child);
				queue.push(child);
			}
		}
	}
	return found;
}

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}
