import type { TestProject } from "vitest/node";
import { startEmulator } from "../emulator/server.ts";
import { generateSigningKeyPair } from "../emulator/tokens.ts";
import { GOOD_CLOSE_API_KEY, TEST_CLERK_SECRET_KEY } from "./constants.ts";

/** One emulator and one fresh RSA key pair for the whole run; tests keep apart by using their own orgs. */
export default async function setup(project: TestProject) {
	const keys = await generateSigningKeyPair();
	const emulator = await startEmulator({
		secretKey: TEST_CLERK_SECRET_KEY,
		closeApiKeys: [GOOD_CLOSE_API_KEY],
	});
	project.provide("emulatorUrl", emulator.url);
	project.provide("jwtPublicKey", keys.publicKeyPem);
	project.provide("jwtPrivateKey", keys.privateKeyPem);
	return () => emulator.close();
}
