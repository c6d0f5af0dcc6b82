/**
 * The typed client of examples/client (generated from the committed OpenAPI document with
 * openapi-typescript, on openapi-fetch) against the Worker: what a front end written against the
 * document gets, end to end. Its type check runs in .ci/run with strict and exactOptionalPropertyTypes.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { crmSettingsClient } from "../examples/client/crm-settings-client.ts";
import worker from "../src/index.ts";
import { GOOD_CLOSE_API_KEY } from "./constants.ts";
import { newOrganization } from "./support/emulator.ts";
import { tokenFor } from "./support/tokens.ts";

const SETTINGS = "/api/v1/operations/crm/settings";

async function callWorker(request: Request): Promise<Response> {
	const ctx = createExecutionContext();
	const response = await worker.fetch(request, env, ctx);
	await waitOnExecutionContext(ctx);
	return response;
}

const clientFor = (token: string) =>
	crmSettingsClient({ baseUrl: "https://crm.example.com", getToken: async () => token, fetch: callWorker });

describe("the generated, typed client", () => {
	it("reads, connects Close and Bullhorn, reads again and disconnects", async () => {
		const orgId = await newOrganization();
		const crm = clientFor(await tokenFor(orgId, { userId: "user_client" }));

		const before = await crm.GET(SETTINGS);
		expect(before.data).toEqual({ connected: false, provider: null, apiKeyMasked: null });

		const close = await crm.POST(SETTINGS, {
			body: { provider: "close", apiKey: GOOD_CLOSE_API_KEY, verify: true },
		});
		expect(close.data).toEqual({
			success: true,
			provider: "close",
			connectedAt: expect.any(String),
			verified: true,
		});

		const connected = await crm.GET(SETTINGS);
		// The union narrows on `connected`: a connected answer always names its provider.
		if (!connected.data?.connected) throw new Error("expected a connected answer");
		const provider: "close" | "bullhorn" = connected.data.provider;
		expect(provider).toBe("close");
		expect(connected.data.apiKeyMasked).toBe("********************7j7p");

		const bullhorn = await crm.POST(SETTINGS, {
			body: { provider: "bullhorn", apiKey: "bh-client-key-000000000001" },
		});
		expect(bullhorn.data).toEqual({ success: true, provider: "bullhorn", connectedAt: expect.any(String) });
		expect((await crm.GET(SETTINGS)).data).toMatchObject({ connected: true, provider: "bullhorn" });

		const disconnected = await crm.DELETE(SETTINGS);
		expect(disconnected.data).toEqual({ success: true, disconnected: true });
		expect((await crm.GET(SETTINGS)).data).toEqual({ connected: false, provider: null, apiKeyMasked: null });
	});

	it("reads an error through its typed body", async () => {
		const orgId = await newOrganization();
		const member = clientFor(await tokenFor(orgId, { role: "org:member" }));
		const { data, error, response } = await member.DELETE(SETTINGS);
		expect(data).toBeUndefined();
		expect(response.status).toBe(403);
		expect(error).toEqual({
			error: "Your role in this organization cannot change CRM settings",
			code: "FORBIDDEN",
			requestId: response.headers.get("X-Request-Id"),
		});
	});
});
