import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { configDefaults, defineConfig } from "vitest/config";
import { TEST_BULLHORN_CLIENT, TEST_CLERK_SECRET_KEY, TEST_FRONTEND_ORIGIN } from "./test/constants.ts";
import { quietExpectedNoise } from "./test/node/support/expected-noise.ts";

// Every organization a test creates gets its own settings-cache Durable Object, whose SQLite file workerd
// writes under the OS temporary directory. On a disk each new file costs about 8 ms of syncing, and the
// batteries create hundreds; where Linux offers a RAM disk, the run keeps its temporary files there.
if (existsSync("/dev/shm") && !process.env.TMPDIR) process.env.TMPDIR = "/dev/shm";
// Node keeps the code it compiles for the next run (the node project's workers, the processes they start).
process.env.NODE_COMPILE_CACHE ??= fileURLToPath(
	new URL("node_modules/.cache/node-compile", import.meta.url),
);

// Two projects, one `npm test`. "workers": every test of the Worker runs inside workerd with its real
// wrangler.toml; only the upstream URLs and the secrets are replaced, pointing at the emulator and the
// key pair that test/global-setup.ts made. "node": checks that need Node, such as the OpenAPI validator,
// which compiles schemas with `new Function` — something workerd forbids.
export default defineConfig({
	test: {
		// Each request logs a JSON line; show them only for a failing test.
		silent: "passed-only",
		// Two files at a time on a 2-core machine: with the waits on the clock gone, the tests are CPU-bound.
		maxWorkers: 2,
		projects: [
			// The example queue consumer (examples/events-consumer/), with its own wrangler.toml.
			"examples/events-consumer/vitest.config.ts",
			{
				plugins: [
					cloudflareTest(({ inject }) => {
						const bindings = {
							CLERK_API_URL: inject<string>("emulatorUrl"),
							CLOSE_API_URL: inject<string>("emulatorUrl"),
							CLERK_SECRET_KEY: TEST_CLERK_SECRET_KEY,
							CLERK_JWT_KEY: inject<string>("jwtPublicKey"),
							CLERK_AUTHORIZED_PARTIES: TEST_FRONTEND_ORIGIN,
							BULLHORN_LOGIN_INFO_URL: `${inject<string>("emulatorUrl")}/rest-services/loginInfo`,
							BULLHORN_CLIENT_ID: TEST_BULLHORN_CLIENT.id,
							BULLHORN_CLIENT_SECRET: TEST_BULLHORN_CLIENT.secret,
						};
						// A green run prints only what is news (test/node/support/expected-noise.ts): wrangler's
						// "Missing required secrets" only when it names secrets these bindings give, or the ring,
						// which the Worker runs without here (plaintext storage; a ring test passes its own).
						quietExpectedNoise({
							secretsBoundByTests: Object.keys(bindings),
							secretsUnsetOnPurpose: ["CRM_ENCRYPTION_KEYS"],
						});
						return { wrangler: { configPath: "./wrangler.toml" }, miniflare: { bindings } };
					}),
				],
				test: {
					name: "workers",
					// Pre-bundled once (cached in node_modules/.vite) instead of fetched module by module into
					// workerd: zod alone is ~90 modules. Only packages imported through these entries, so that
					// no package is loaded twice (once bundled, once through a subpath left out).
					deps: {
						optimizer: {
							ssr: {
								enabled: true,
								include: [
									"zod/mini",
									"@clerk/backend",
									"@clerk/shared/jwtPayloadParser",
									"fast-check",
									"@cfworker/json-schema",
								],
							},
						},
					},
					// Files share a worker (one workerd start-up each instead of one per file) and the modules
					// they import. Nothing leaks between them: each test uses organizations of its own, and every
					// spy, stubbed global and fake clock is undone when its test finishes (captureLogs,
					// useInProcessEmulator); restoreMocks and unstubGlobals undo any a test forgot.
					isolate: false,
					restoreMocks: true,
					unstubGlobals: true,
					globalSetup: ["./test/global-setup.ts"],
					include: ["test/**/*.test.ts"],
					exclude: [...configDefaults.exclude, "test/node/**", "test/smoke/**"],
					testTimeout: 20_000,
				},
			},
			{
				test: {
					name: "node",
					environment: "node",
					// One module graph per worker, as in "workers": these files keep no state between them.
					isolate: false,
					include: ["test/node/**/*.test.ts"],
				},
			},
			// `npm run test:smoke`, not `npm test`: the real `wrangler dev`, started as a user starts it.
			{
				test: {
					name: "smoke",
					environment: "node",
					include: ["test/smoke/**/*.test.ts"],
					testTimeout: 30_000,
					hookTimeout: 90_000,
				},
			},
		],
	},
});
