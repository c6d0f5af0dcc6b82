import { describe, expect, it } from "vitest";
import { GOOD_CLOSE_API_KEY } from "./constants.ts";
import { errorBody, getSettings, SETTINGS_URL, saveSettings, send, settingsRequest } from "./support/api.ts";
import { newOrganization, queueClerkFaults } from "./support/emulator.ts";
import { tokenFor } from "./support/tokens.ts";

// One request for each response the OpenAPI document declares, so that the contract check in `send()`
// sees every one of them as the Worker really sends it. (429 has no test until rate limiting exists.)

describe("each documented response, as the Worker sends it", () => {
	it("200 for GET, POST and DELETE with a Close key: apiKeyId and connectedBy are documented", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId, { userId: "user_docs" });
		expect(
			(await saveSettings({ token, body: { provider: "close", apiKey: GOOD_CLOSE_API_KEY } })).status,
		).toBe(200);
		const read = await getSettings({ token });
		expect(read.body).toMatchObject({ apiKeyId: GOOD_CLOSE_API_KEY.split(".")[0], connectedBy: "user_docs" });
		expect((await send(settingsRequest("DELETE", { token }))).status).toBe(200);
	});

	it("400 Organization ID required without authentication", async () => {
		const response = await getSettings();
		expect(response.status).toBe(400);
		expect(response.body).toEqual(errorBody(response, "VALIDATION_ERROR", "Organization ID required"));
	});

	it("400 with details for an invalid body", async () => {
		const token = await tokenFor(await newOrganization());
		const response = await saveSettings({ token, body: { provider: "hubspot", apiKey: " " } });
		expect(response.status).toBe(400);
		expect(response.body).toEqual(
			errorBody(response, "VALIDATION_ERROR", "Request body is invalid", [
				{ path: "provider", message: 'provider must be "close" or "bullhorn"' },
				{ path: "apiKey", message: "apiKey must not be empty or blank" },
			]),
		);
	});

	it("403 for a member whose role may not write", async () => {
		const token = await tokenFor(await newOrganization(), { role: "org:member" });
		const response = await saveSettings({ token, body: { provider: "close", apiKey: GOOD_CLOSE_API_KEY } });
		expect(response.status).toBe(403);
		expect(response.body).toEqual(
			errorBody(response, "FORBIDDEN", "Your role in this organization cannot change CRM settings"),
		);
	});

	it("404 for a path the API does not have", async () => {
		const response = await send(new Request("https://crm.example.com/api/v1/crm"));
		expect(response.status).toBe(404);
		expect(response.body).toEqual(errorBody(response, "NOT_FOUND", "No such endpoint: GET /api/v1/crm"));
	});

	it("405 with Allow for a method the path does not offer", async () => {
		const response = await send(new Request(SETTINGS_URL, { method: "PUT" }));
		expect(response.status).toBe(405);
		expect(response.headers.get("Allow")).toBe("GET, HEAD, POST, DELETE, OPTIONS");
		expect(response.body).toEqual(
			errorBody(
				response,
				"METHOD_NOT_ALLOWED",
				"PUT is not supported here; use GET, HEAD, POST, DELETE, OPTIONS",
			),
		);
	});

	it("413 for a body over 16 KiB", async () => {
		const token = await tokenFor(await newOrganization());
		const response = await saveSettings({ token, body: { provider: "close", apiKey: "k".repeat(17_000) } });
		expect(response.status).toBe(413);
		expect(response.body).toEqual(
			errorBody(response, "PAYLOAD_TOO_LARGE", "Request body must be at most 16384 bytes"),
		);
	});

	it("500 when Clerk fails", async () => {
		const orgId = await newOrganization();
		await queueClerkFaults(orgId, [{ status: 500 }, { status: 500 }, { status: 500 }]);
		const response = await getSettings({ token: await tokenFor(orgId) });
		expect(response.status).toBe(500);
		expect(response.body).toEqual(errorBody(response, "INTERNAL_ERROR", "Internal server error"));
	});

	it("204 for a CORS preflight and 200 without a body for HEAD", async () => {
		const preflight = await send(
			settingsRequest("OPTIONS", {
				headers: { Origin: "https://app.example.com", "Access-Control-Request-Method": "POST" },
			}),
		);
		expect(preflight.status).toBe(204);
		const token = await tokenFor(await newOrganization());
		const head = await send(settingsRequest("HEAD", { token }));
		expect(head).toMatchObject({ status: 200, body: null });
	});
});
