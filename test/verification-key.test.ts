import { describe, expect, inject, it, vi } from "vitest";
import { generateSigningKeyPair, importSigningKey, mintSessionToken } from "../emulator/tokens.ts";
import { TEST_FRONTEND_ORIGIN } from "./constants.ts";
import { errorBody, getSettings } from "./support/api.ts";
import { newOrganization } from "./support/emulator.ts";
import { captureLogs } from "./support/logs.ts";
import { tokenFor } from "./support/tokens.ts";

describe("CLERK_JWT_KEY is imported once per isolate, not per request", () => {
	it("imports a new key on its first request only", async () => {
		const keys = await generateSigningKeyPair();
		const orgId = await newOrganization();
		const token = await mintSessionToken(await importSigningKey(keys.privateKeyPem), {
			orgId,
			authorizedParty: TEST_FRONTEND_ORIGIN,
		});
		captureLogs();
		const importKey = vi.spyOn(crypto.subtle, "importKey");
		try {
			for (let i = 0; i < 3; i++) {
				const response = await getSettings({ token, env: { CLERK_JWT_KEY: keys.publicKeyPem } });
				expect(response.status).toBe(200);
			}
			expect(importKey).toHaveBeenCalledTimes(1);
		} finally {
			importKey.mockRestore();
		}
	});
});

describe("a CLERK_JWT_KEY that Web Crypto cannot import", () => {
	it("answers 500 and logs a configuration error, instead of blaming the token", async () => {
		// Right RSA-2048 header and trailer, 3 bytes short in between: passes the shape check, not the import.
		const body = inject("jwtPublicKey").replace(/-----[A-Z ]+-----|\s/g, "");
		const truncated = `${body.slice(0, 100)}${body.slice(104)}`;
		const logs = captureLogs();
		const response = await getSettings({
			token: await tokenFor("org_any"),
			env: { CLERK_JWT_KEY: truncated },
		});
		expect(response.status).toBe(500);
		expect(response.body).toEqual(errorBody(response, "INTERNAL_ERROR", "Internal server error"));
		expect(logs.entries()[0]).toEqual({
			level: "error",
			msg: "configuration error",
			problem: "CLERK_JWT_KEY could not be imported as an RSA public key",
			requestId: response.headers.get("X-Request-Id"),
		});
	});
});
