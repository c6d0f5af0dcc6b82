import { describe, expect, it } from "vitest";
import { TEST_CLERK_SECRET_KEY } from "./constants.ts";
import { type ApiResponse, disconnect, getSettings, saveSettings } from "./support/api.ts";
import { newOrganization, queueClerkFaults } from "./support/emulator.ts";
import { useInProcessEmulator } from "./support/in-process-emulator.ts";
import { captureLogs } from "./support/logs.ts";
import { tokenFor } from "./support/tokens.ts";

const API_KEY = "api_Sup3rSecretIdPart.Sup3rSecretSecretPart9876";

/** Everything a client or an operator could see of a response: status, headers and body. */
function visible(response: ApiResponse): string {
	return JSON.stringify({ status: response.status, headers: [...response.headers], body: response.body });
}

describe("secrets never leave the service", () => {
	it("no response and no log line holds the API key, the token or the Clerk secret", async () => {
		// Clerk's failures below are retried on this fake clock instead of the real one.
		const clock = useInProcessEmulator();
		const logs = captureLogs();
		const orgId = await newOrganization();
		const token = await tokenFor(orgId);
		const member = await tokenFor(orgId, { role: "org:member" });
		const responses: ApiResponse[] = [];
		const send = async (request: () => Promise<ApiResponse>) => {
			responses.push((await clock.timed(request)).value);
		};

		await send(() => saveSettings({ token, body: { provider: "close", apiKey: API_KEY } }));
		await send(() => getSettings({ token }));
		await send(() => getSettings({ token: member }));
		await send(() => saveSettings({ token: member, body: { provider: "close", apiKey: API_KEY } }));
		await send(() => saveSettings({ token, body: { provider: "close", apiKey: `${API_KEY}\u0000` } }));
		await send(() => saveSettings({ token, body: { provider: "zoho", apiKey: API_KEY } }));
		await send(() => saveSettings({ token, body: `{"provider":"close","apiKey":"${API_KEY}"` }));
		await send(() => saveSettings({ token, body: { provider: "close", apiKey: API_KEY, extra: API_KEY } }));
		await queueClerkFaults(orgId, [{ status: 500 }, { status: 500 }, { status: 500 }]);
		await send(() => saveSettings({ token, body: { provider: "close", apiKey: API_KEY } }));
		await queueClerkFaults(orgId, [{ status: 401 }]);
		await send(() => getSettings({ token }));
		await send(() => getSettings({ token: `${token}x` }));
		await send(() => getSettings({ token, env: { CLERK_JWT_KEY: "" } }));
		await send(() => disconnect({ token }));

		const secretHalf = API_KEY.split(".")[1] as string;
		const signature = token.split(".")[2] as string;
		for (const seen of [...responses.map(visible), ...logs.lines]) {
			expect(seen).not.toContain(secretHalf);
			expect(seen).not.toContain(signature);
			expect(seen).not.toContain(TEST_CLERK_SECRET_KEY);
		}
		expect(logs.lines.length).toBeGreaterThanOrEqual(responses.length);
	});

	it("GET shows the key's id and last 4 characters only", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId);
		await saveSettings({ token, body: { provider: "close", apiKey: API_KEY } });
		const response = await getSettings({ token });
		expect(response.body).toMatchObject({
			apiKeyMasked: "********************9876",
			apiKeyId: "api_Sup3rSecretIdPart",
		});
		expect(visible(response)).not.toContain("Sup3rSecretSecretPart");
	});

	it("no error response carries a stack trace", async () => {
		const orgId = await newOrganization();
		await queueClerkFaults(orgId, [{ kind: "malformed-json" }]);
		const response = await getSettings({ token: await tokenFor(orgId) });
		expect(response.status).toBe(500);
		expect(visible(response)).not.toMatch(/at .+\.(ts|js):\d+|Error:|SyntaxError/);
	});
});
