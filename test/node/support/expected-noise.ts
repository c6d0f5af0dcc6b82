/**
 * What a green `npm test` would print that is not news, dropped from the vitest process's output, and
 * nothing else. Installed by vitest.config.ts in the main process, where @cloudflare/vitest-plugin
 * writes workerd's log lines (its `handleStructuredLogs`, which a config cannot replace: informational
 * ones to stdout) and wrangler its warnings (stderr), straight to `process.stdout` and `process.stderr`:
 *
 * - **An error `CrmCredentials` gives its RPC caller.** workerd runs under the plugin with `--verbose`,
 *   and logs every rejection of an RPC method as "uncaught exception; source = Uncaught (in promise)"
 *   although the caller handles it: the tests that check a refusal (a malformed org id or report,
 *   Bullhorn's reconnect) catch it at once (`.then(ok, err)`) and still get the line, even with every
 *   promise of the chain awaited in place; the log comes from workerd's RPC layer, below any JS. Each
 *   such error reaches its caller, so a test that did not expect it fails with its message: the line
 *   adds nothing. Dropped when the error's first frame is `#call` in src/rpc/credentials.ts, the one
 *   place the entrypoint throws.
 * - **The connection test/fetch-with-retry.test.ts drops on purpose**, which workerd reports in three
 *   lines of its own (the Rust HTTP client's error, the rejected fetch, the disconnected KJ promise).
 *   Dropped once per run: a second lost connection is news, and prints.
 * - **wrangler's "Missing required secrets"** for the `[secrets] required` of wrangler.toml: wrangler
 *   looks for them in `.dev.vars`, `.env` and the shell, while the tests give them to the Worker as
 *   bindings. Dropped only when every secret it names is one of `secretsBoundByTests` or
 *   `secretsUnsetOnPurpose`: a required secret the tests neither bind nor leave out knowingly still warns.
 *
 * Turning workerd's `--verbose` off (the plugin's `verbose: false`) would silence the first two too, but
 * also every other informational line workerd prints, among them an unexpected uncaught exception.
 */
import { stripVTControlCharacters } from "node:util";

const UNCAUGHT_IN_PROMISE = "uncaught exception; source = Uncaught (in promise); stack = Error: ";
const RPC_REFUSAL_FRAME = /^\s+at #call \(.*\/src\/rpc\/credentials\.ts:\d+:\d+\)$/;
const DROPPED_CONNECTION = [
	/^exception = rust\/worker\/ffi\.rs:\d+: disconnected: client error \(SendRequest\)\n/,
	/^uncaught exception; source = Uncaught \(in promise\); stack = Error: Network connection lost\.\n?$/,
	/^uncaught exception; exception = workerd\/jsg\/value\.h:\d+: disconnected: jsg\.Error: Network connection lost\.\n/,
];
const MISSING_SECRETS = /Missing required secrets: ([A-Z0-9_, ]+)\. Add them to \.dev\.vars/;

export interface ExpectedNoise {
	/** The secrets the workers project gives the Worker as bindings. */
	secretsBoundByTests: string[];
	/** Required secrets the Worker runs without in the tests, knowingly. */
	secretsUnsetOnPurpose: string[];
}

let installed: ExpectedNoise | undefined;

/**
 * Filters `process.stdout` and `process.stderr` of this process as described above, one write (one
 * whole log message) at a time; later calls only update the secrets.
 *
 * @example
 * quietExpectedNoise({ secretsBoundByTests: Object.keys(bindings), secretsUnsetOnPurpose: ["CRM_ENCRYPTION_KEYS"] });
 */
export function quietExpectedNoise(noise: ExpectedNoise): void {
	if (installed) {
		Object.assign(installed, noise);
		return;
	}
	installed = { ...noise };
	const expected = installed;
	const droppedConnectionSeen = DROPPED_CONNECTION.map(() => false);
	const isExpected = (text: string): boolean => {
		if (text.startsWith(UNCAUGHT_IN_PROMISE)) {
			const firstFrame = text.split("\n")[1] ?? "";
			if (RPC_REFUSAL_FRAME.test(firstFrame)) return true;
		}
		const connection = DROPPED_CONNECTION.findIndex((line) => line.test(text));
		if (connection !== -1 && !droppedConnectionSeen[connection]) {
			droppedConnectionSeen[connection] = true;
			return true;
		}
		const missing = MISSING_SECRETS.exec(text)?.[1]?.split(/,\s*/);
		const known = [...expected.secretsBoundByTests, ...expected.secretsUnsetOnPurpose];
		return missing?.every((name) => known.includes(name)) === true;
	};

	for (const stream of [process.stdout, process.stderr]) {
		const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
		stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
			const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
			if (isExpected(stripVTControlCharacters(text))) {
				// The write still "happens" for its caller: a callback passed along is called.
				const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
				callback?.();
				return true;
			}
			return write(chunk, ...rest);
		}) as typeof stream.write;
	}
}
