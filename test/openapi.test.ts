import { describe, expect, it } from "vitest";
import document from "../src/openapi/openapi.json" with { type: "json" };
import { errorBody, send } from "./support/api.ts";

const OPENAPI_URL = "https://crm.example.com/api/v1/openapi.json";

describe("GET /api/v1/openapi.json", () => {
	it("serves the generated OpenAPI 3.1 document to anyone, without authentication", async () => {
		const response = await send(new Request(OPENAPI_URL));
		expect(response.status).toBe(200);
		expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
		expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
		expect(response.body).toEqual(document);
		expect(response.body).toMatchObject({ openapi: expect.stringMatching(/^3\.1\./) });
	});

	it("needs neither configuration nor Clerk: it answers even when the secrets are missing", async () => {
		const response = await send(new Request(OPENAPI_URL), { CLERK_SECRET_KEY: "", CLERK_JWT_KEY: "" });
		expect(response.status).toBe(200);
		expect(response.body).toEqual(document);
	});

	it("answers HEAD without a body, and other methods with 405", async () => {
		expect((await send(new Request(OPENAPI_URL, { method: "HEAD" }))).status).toBe(200);

		const response = await send(new Request(OPENAPI_URL, { method: "POST" }));
		expect(response.status).toBe(405);
		expect(response.headers.get("Allow")).toBe("GET, HEAD");
		expect(response.body).toEqual(
			errorBody(response, "METHOD_NOT_ALLOWED", "POST is not supported here; use GET, HEAD"),
		);
	});
});
