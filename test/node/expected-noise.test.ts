/**
 * The filter vitest.config.ts installs on the vitest process's output (test/node/support/expected-noise.ts):
 * it drops exactly the expected lines of a green run and lets everything else through. Run in a Node
 * process of its own, since it replaces that process's `stdout.write` and `stderr.write`.
 */
import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";

const MODULE = new URL("./support/expected-noise.ts", import.meta.url).href;

/** Installs the filter in a fresh process, writes `chunks` (each one write, as a log message is), returns what came out. */
function throughFilter(chunks: { stream: "stdout" | "stderr"; text: string }[]): Promise<string> {
	const script = `
		const { quietExpectedNoise } = await import(${JSON.stringify(MODULE)});
		quietExpectedNoise({ secretsBoundByTests: ["CLERK_SECRET_KEY", "CLERK_JWT_KEY"], secretsUnsetOnPurpose: ["CRM_ENCRYPTION_KEYS"] });
		for (const { stream, text } of ${JSON.stringify(chunks)}) process[stream].write(text);
	`;
	return new Promise((resolve, reject) => {
		execFile(process.execPath, ["--input-type=module", "-e", script], (error, stdout, stderr) =>
			error ? reject(error) : resolve(stdout + stderr),
		);
	});
}

const rpcRefusal = (message: string, frame: string) =>
	`uncaught exception; source = Uncaught (in promise); stack = Error: ${message}\n    at ${frame}\n    at CrmCredentials.getCredential (/repo/src/rpc/credentials.ts:40:20)\n`;
const dropped = [
	"exception = rust/worker/ffi.rs:110: disconnected: client error (SendRequest)\nstack: workerd@28a3c60\n",
	"uncaught exception; source = Uncaught (in promise); stack = Error: Network connection lost.\n",
	"uncaught exception; exception = workerd/jsg/value.h:1535: disconnected: jsg.Error: Network connection lost.\nstack: workerd@3a4d9d0\n",
];
const missingSecrets = (names: string) =>
	`\u001b[33m▲ \u001b[43;33m[\u001b[43;30mWARNING\u001b[43;33m]\u001b[0m \u001b[1mMissing required secrets: ${names}. Add them to .dev.vars, .env, or set as environment variables.\u001b[0m\n\n`;

describe("the expected-noise filter of npm test", () => {
	it("drops an error CrmCredentials gave its RPC caller, and keeps any other uncaught exception", async () => {
		const output = await throughFilter([
			{
				stream: "stdout",
				text: rpcRefusal(
					"orgId is not a Clerk organization id",
					"#call (/repo/src/rpc/credentials.ts:71:10)",
				),
			},
			{ stream: "stdout", text: rpcRefusal("something else broke", "handle (/repo/src/crm/owner.ts:12:3)") },
			{ stream: "stdout", text: "a test's own line\n" },
		]);
		expect(output).not.toContain("orgId is not a Clerk organization id");
		expect(output).toContain("something else broke");
		expect(output).toContain("a test's own line");
	});

	it("drops the one connection dropped on purpose, and prints a second", async () => {
		const output = await throughFilter([...dropped, ...dropped].map((text) => ({ stream: "stdout", text })));
		for (const line of dropped) expect(output.split(line)).toHaveLength(2);
	});

	it("drops wrangler's missing-secrets warning only when every secret it names is bound or left out knowingly", async () => {
		const output = await throughFilter([
			{ stream: "stderr", text: missingSecrets("CLERK_SECRET_KEY, CLERK_JWT_KEY, CRM_ENCRYPTION_KEYS") },
			{ stream: "stderr", text: missingSecrets("CLERK_SECRET_KEY, NEW_SECRET") },
		]);
		expect(output).not.toContain("CLERK_JWT_KEY");
		expect(output).toContain("Missing required secrets: CLERK_SECRET_KEY, NEW_SECRET.");
	});
});
