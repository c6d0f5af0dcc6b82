import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { TEST_CLERK_SECRET_KEY, TEST_FRONTEND_ORIGIN } from "./test/constants.ts";

// Every test runs inside workerd with the Worker's real wrangler.toml; only the upstream URLs and the
// secrets are replaced, pointing at the emulator and the key pair that test/global-setup.ts made.
export default defineConfig({
	plugins: [
		cloudflareTest(({ inject }) => ({
			wrangler: { configPath: "./wrangler.toml" },
			miniflare: {
				bindings: {
					CLERK_API_URL: inject<string>("emulatorUrl"),
					CLOSE_API_URL: inject<string>("emulatorUrl"),
					CLERK_SECRET_KEY: TEST_CLERK_SECRET_KEY,
					CLERK_JWT_KEY: inject<string>("jwtPublicKey"),
					CLERK_AUTHORIZED_PARTIES: TEST_FRONTEND_ORIGIN,
				},
			},
		})),
	],
	test: {
		globalSetup: ["./test/global-setup.ts"],
		include: ["test/**/*.test.ts"],
		testTimeout: 20_000,
		// Each request logs a JSON line; show them only for a failing test.
		silent: "passed-only",
	},
});
