import { describe, expect, it } from "vitest";
import { TEST_FRONTEND_ORIGIN } from "./constants.ts";
import { errorBody, SETTINGS_URL, send } from "./support/api.ts";

const ORIGIN_URL = "https://crm.example.com";

describe("paths the API does not have", () => {
	it.each([
		"/",
		"/api/v1/nope",
		"/api/v1/operations/crm/settings/extra",
		"/api/v1/operations/crm/settings/",
		"/api/v1/health/",
		"/API/v1/health",
	])("answers 404 NOT_FOUND for GET %s", async (path) => {
		const response = await send(new Request(`${ORIGIN_URL}${path}`));
		expect(response.status).toBe(404);
		expect(response.body).toEqual(errorBody(response, "NOT_FOUND", `No such endpoint: GET ${path}`));
		expect(response.headers.get("Cache-Control")).toBe("no-store");
	});
});

describe("methods the settings path does not have", () => {
	it.each(["PUT", "PATCH"])("answers 405 with Allow for %s", async (method) => {
		const response = await send(new Request(SETTINGS_URL, { method }));
		expect(response.status).toBe(405);
		expect(response.headers.get("Allow")).toBe("GET, HEAD, POST, DELETE, OPTIONS");
		expect(response.body).toEqual(
			errorBody(
				response,
				"METHOD_NOT_ALLOWED",
				`${method} is not supported here; use GET, HEAD, POST, DELETE, OPTIONS`,
			),
		);
	});
});

describe("CORS preflight", () => {
	const preflight = (origin: string) =>
		send(
			new Request(SETTINGS_URL, {
				method: "OPTIONS",
				headers: {
					Origin: origin,
					"Access-Control-Request-Method": "POST",
					"Access-Control-Request-Headers": "authorization, content-type",
				},
			}),
		);

	it("allows an origin of CLERK_AUTHORIZED_PARTIES", async () => {
		const response = await preflight(TEST_FRONTEND_ORIGIN);
		expect(response.status).toBe(204);
		expect(Object.fromEntries(response.headers)).toMatchObject({
			"access-control-allow-origin": TEST_FRONTEND_ORIGIN,
			"access-control-allow-methods": "GET,POST,DELETE",
			"access-control-allow-headers": "Authorization,Content-Type,X-Request-Id",
			"access-control-max-age": "600",
		});
	});

	it("gives no CORS grant to any other origin", async () => {
		const response = await preflight("https://evil.example.com");
		expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
	});
});
