/**
 * Every curl of docs/api-reference.md, run as a reader runs it (bash, with API, TOKEN and MEMBER_TOKEN set)
 * against `npm run dev`, must get the status the page says: the operation's documented success, or the
 * status of the error section it illustrates. The page is generated from the OpenAPI document, so this
 * keeps its examples true to the running API. Two cases need the world arranged first, as the page says
 * (a client cannot cause them): an unreadable record for the 500, and an unreachable Close for the 503.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NpmRunDev, startNpmRunDev } from "./support/npm-run-dev.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const PAGE = readFileSync(join(ROOT, "docs", "api-reference.md"), "utf8");

interface Example {
	/** Where it is on the page: the operation's or the error's heading. */
	heading: string;
	curl: string;
	status: number;
}

/** Each ```sh block with the status its section documents: an operation's first answer, or the error's. */
function examples(): Example[] {
	const found: Example[] = [];
	const sections = PAGE.split(/^(?=#{2,3} )/m);
	for (const section of sections) {
		const heading = section.split("\n")[0] ?? "";
		const curl = /```sh\n([\s\S]*?)\n```/.exec(section)?.[1];
		if (!curl) continue;
		const status = /^### (\d{3}) /.exec(heading)?.[1] ?? /```http\nHTTP\/1\.1 (\d{3})/.exec(section)?.[1];
		found.push({ heading, curl, status: Number(status) });
	}
	return found;
}

/**
 * The order to run them in, so that each finds the state its section assumes: a connection before the
 * re-check, the write limit spent last. Every example of the page is in it (checked below).
 */
const ORDER = [
	"Get CRM settings",
	"Save CRM settings",
	"Re-check the stored key",
	"Audit history",
	"Disconnect CRM",
	"CORS preflight: `OPTIONS /api/v1/operations/crm/settings`",
	"CORS preflight: `OPTIONS /api/v1/operations/crm/settings/verify`",
	"CORS preflight: `OPTIONS /api/v1/operations/crm/settings/history`",
	"Health check",
	"This OpenAPI document",
	"400 ValidationError",
	"400 OrganizationIdRequired",
	"403 Forbidden",
	"404 NotFound",
	"405 MethodNotAllowed",
	"413 PayloadTooLarge",
	"415 UnsupportedMediaType",
	"500 InternalError",
	"503 UpstreamUnavailable",
	"429 RateLimited",
];
const rank = (example: Example) => ORDER.findIndex((name) => example.heading.includes(name));

describe("the curls of docs/api-reference.md against npm run dev", () => {
	let dev: NpmRunDev;
	let env: Record<string, string>;
	let emulatorUrl: string;

	beforeAll(async () => {
		dev = await startNpmRunDev();
		emulatorUrl = `http://127.0.0.1:${dev.emulatorPort}`;
		// An organization of this run's own: npm run dev keeps its state in .wrangler/, and the rate-limit
		// example spends the organization's writes for a minute.
		const orgId = `org_curls${crypto.randomUUID().replaceAll("-", "")}`;
		env = {
			...(process.env as Record<string, string>),
			API: dev.origin,
			TOKEN: mint(["--org", orgId]),
			MEMBER_TOKEN: mint(["--org", orgId, "--role", "org:member"]),
		};
	});

	afterAll(() => dev?.stop());

	it("has an example for each section, every one in the run order", () => {
		const all = examples();
		expect(all.length).toBeGreaterThanOrEqual(ORDER.length);
		expect(all.filter((example) => rank(example) < 0).map((example) => example.heading)).toEqual([]);
		expect(all.every((example) => Number.isInteger(example.status))).toBe(true);
	});

	it("gets from each the status its section documents", async () => {
		const answered: string[] = [];
		for (const example of [...examples()].sort((a, b) => rank(a) - rank(b))) {
			const vars = { ...env };
			if (example.heading.includes("500 InternalError")) {
				// An organization whose record is not a CRM record (written outside the API).
				const unreadable = `org_unreadable${crypto.randomUUID().replaceAll("-", "")}`;
				vars.TOKEN = mint(["--org", unreadable]);
				await control("POST", "/organizations", {
					id: unreadable,
					private_metadata: { crm: { provider: "hubspot" } },
				});
			}
			if (example.heading.includes("503 UpstreamUnavailable")) {
				const failure = { status: 503 };
				await control("POST", "/faults", { closeApiKey: "api_abc.def", faults: [failure, failure, failure] });
			}
			answered.push(`${example.heading.trim()} → ${run(example.curl, vars)}`);
		}
		const expected = [...examples()]
			.sort((a, b) => rank(a) - rank(b))
			.map((example) => `${example.heading.trim()} → ${example.status}`);
		// The rate-limit example prints one status per request: it holds when the documented one is among them.
		expect(answered.map((line) => line.replace(/→ (?:\d{3} )*429(?: \d{3})*$/, "→ 429"))).toEqual(expected);
	});

	async function control(method: string, path: string, body: unknown) {
		const response = await fetch(`${emulatorUrl}/__emulator${path}`, {
			method,
			headers: { "Content-Type": "application/json" },
			body: JSON.stringify(body),
		});
		expect(response.ok).toBe(true);
	}
});

/** The example in bash, each curl printing only its status (the page's own -w, if any, says the same). */
function run(curl: string, env: Record<string, string>): string {
	const script = `curl() { command curl -s -o /dev/null -w '%{http_code}\\n' "$@"; }\n${curl}`;
	return execFileSync("bash", ["-c", script], { env: env as NodeJS.ProcessEnv, encoding: "utf8" })
		.split("\n")
		.filter((line) => /^\d{3}$/.test(line))
		.join(" ");
}

function mint(args: string[]): string {
	return execFileSync(process.execPath, [join(ROOT, "scripts", "token.ts"), ...args], {
		cwd: ROOT,
		encoding: "utf8",
	}).trim();
}
