import { describe, expect, it } from "vitest";
import { errorBody, send } from "./support/api.ts";
import { captureLogs } from "./support/logs.ts";

const HEALTH_URL = "https://crm.example.com/api/v1/health";

describe("GET /api/v1/health", () => {
	it("answers ok without a token, with the request id and no-store of every response, and no log line (a successful read)", async () => {
		const logs = captureLogs();
		const response = await send(new Request(HEALTH_URL));
		expect(response.status).toBe(200);
		expect(response.body).toEqual({ status: "ok" });
		expect(response.headers.get("Cache-Control")).toBe("no-store");
		expect(response.headers.get("X-Request-Id")).toMatch(/^[\w-]+$/);
		expect(logs.entries()).toEqual([]);
	});

	it("reads no configuration and never calls Clerk: it answers with both broken", async () => {
		const response = await send(new Request(HEALTH_URL), {
			CLERK_API_URL: "http://127.0.0.1:9",
			CLERK_SECRET_KEY: "",
			CLERK_JWT_KEY: "",
		});
		expect(response.status).toBe(200);
		expect(response.body).toEqual({ status: "ok" });
	});

	it("answers 405 with Allow for other methods", async () => {
		const response = await send(new Request(HEALTH_URL, { method: "POST" }));
		expect(response.status).toBe(405);
		expect(response.headers.get("Allow")).toBe("GET, HEAD");
		expect(response.body).toEqual(
			errorBody(response, "METHOD_NOT_ALLOWED", "POST is not supported here; use GET, HEAD"),
		);
	});

	it("logs the line of a request that is not a successful read", async () => {
		const logs = captureLogs();
		const response = await send(new Request(HEALTH_URL, { method: "POST" }));
		expect(logs.entries()).toEqual([
			{
				level: "info",
				msg: "request",
				method: "POST",
				path: "/api/v1/health",
				status: 405,
				ms: expect.any(Number),
				requestId: response.headers.get("X-Request-Id"),
				orgId: null,
			},
		]);
	});
});
