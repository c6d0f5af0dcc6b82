import { describe, expect, it } from "vitest";
import { EXPECTED_MESSAGES } from "./constants.ts";
import { errorBody, send } from "./support/api.ts";

// What src/http/hono.ts's router must not match: hono/tiny and hono/quick would answer these paths
// as the route without the trailing slash. test/http.test.ts covers the other 404s and the 405s.
describe("paths that only look like a route", () => {
	it.each([
		"/api/v1/operations/crm/settings/",
		"/api/v1/operations/crm/settings/extra",
		"/api/v1/health/",
		"/API/v1/health",
	])("GET %s → 404 NOT_FOUND", async (path) => {
		const response = await send(new Request(`https://crm.example.com${path}`));
		expect(response.status).toBe(404);
		expect(response.body).toEqual(errorBody(response, "NOT_FOUND", EXPECTED_MESSAGES.notFoundGet));
	});
});
