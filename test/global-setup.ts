import type { TestProject } from "vitest/node";
import { startEmulator } from "../emulator/server.ts";
import { generateSigningKeyPair } from "../emulator/tokens.ts";
import { DEVELOPMENT_INSTANCE_LIMIT, GOOD_CLOSE_API_KEY, TEST_CLERK_SECRET_KEY } from "./constants.ts";

/** One emulator and one fresh RSA key pair for the whole run; tests keep apart by using their own orgs. */
export default async function setup(project: TestProject) {
	const keys = await generateSigningKeyPair();
	const emulator = await startEmulator({
		secretKey: TEST_CLERK_SECRET_KEY,
		closeApiKeys: [GOOD_CLOSE_API_KEY],
	});
	// A second Clerk with a development instance's limit on (100 requests per 10 s, Clerk's "system
	// limits" page), for the tests that show the Worker stays inside it; the shared one has none, so
	// that files running side by side never throttle each other.
	const limited = await startEmulator({
		secretKey: TEST_CLERK_SECRET_KEY,
		instanceRequestsPerWindow: DEVELOPMENT_INSTANCE_LIMIT,
	});
	project.provide("emulatorUrl", emulator.url);
	project.provide("limitedEmulatorUrl", limited.url);
	project.provide("jwtPublicKey", keys.publicKeyPem);
	project.provide("jwtPrivateKey", keys.privateKeyPem);
	return async () => {
		await Promise.all([emulator.close(), limited.close()]);
	};
}
