import { describe, expect, it, onTestFinished, vi } from "vitest";
import document from "../src/openapi/openapi.json" with { type: "json" };
import { EXPECTED_MESSAGES, GOOD_CLOSE_API_KEY } from "./constants.ts";
import {
	type ApiResponse,
	type CallOptions,
	type EnvOverrides,
	errorBody,
	SETTINGS_URL,
	send,
	settingsRequest,
	VERIFY_URL,
} from "./support/api.ts";
import { newCloseApiKey, newOrganization, queueClerkFaults, queueCloseFaults } from "./support/emulator.ts";
import { tokenFor } from "./support/tokens.ts";

// One request for each response the OpenAPI document declares, so that the contract check in `send()`
// sees every one of them as the Worker really sends it. The last test holds the file to that: it fails
// when the document declares a response no test here received.

const ORIGIN = "https://crm.example.com";

/** "METHOD path status" of every response received here. */
const received = new Set<string>();

async function call(request: Request, env?: EnvOverrides): Promise<ApiResponse> {
	const response = await send(request, env);
	received.add(`${request.method} ${new URL(request.url).pathname} ${response.status}`);
	return response;
}
const settings = (method: string, options: CallOptions = {}) =>
	call(settingsRequest(method, options), options.env);
const verify = (options: CallOptions = {}, method = "POST") =>
	call(settingsRequest(method, { ...options, url: VERIFY_URL }), options.env);

describe("each documented response, as the Worker sends it", () => {
	it("200 for GET, POST and DELETE with a Close key: apiKeyId and connectedBy are documented", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId, { userId: "user_docs" });
		const saved = await settings("POST", { token, body: { provider: "close", apiKey: GOOD_CLOSE_API_KEY } });
		expect(saved.status).toBe(200);
		const { connectedAt } = saved.body as { connectedAt: string };
		const read = await settings("GET", { token });
		expect(read.body).toEqual({
			connected: true,
			provider: "close",
			connectedAt,
			apiKeyMasked: `${"*".repeat(20)}${GOOD_CLOSE_API_KEY.slice(-4)}`,
			apiKeyId: GOOD_CLOSE_API_KEY.split(".")[0],
			connectedBy: "user_docs",
			status: "unverified",
		});
		expect((await settings("DELETE", { token })).body).toEqual({ success: true, disconnected: true });
	});

	it("200 for a verified save: verified is documented", async () => {
		const token = await tokenFor(await newOrganization());
		const apiKey = await newCloseApiKey();
		const saved = await settings("POST", { token, body: { provider: "close", apiKey, verify: true } });
		const { connectedAt } = saved.body as { connectedAt: string };
		expect(saved.body).toEqual({ success: true, provider: "close", connectedAt, verified: true });
	});

	it.each(["GET", "DELETE"])("400 Organization ID required without authentication (%s)", async (method) => {
		const response = await settings(method);
		expect(response.status).toBe(400);
		expect(response.body).toEqual(errorBody(response, "VALIDATION_ERROR", "Organization ID required"));
	});

	it("400 with details for an invalid body", async () => {
		const token = await tokenFor(await newOrganization());
		const response = await settings("POST", { token, body: { provider: "hubspot", apiKey: " " } });
		expect(response.status).toBe(400);
		expect(response.body).toEqual(
			errorBody(response, "VALIDATION_ERROR", "Request body is invalid", [
				{ path: "provider", message: 'provider must be "close" or "bullhorn"' },
				{ path: "apiKey", message: "apiKey must not be empty or blank" },
			]),
		);
	});

	it.each(["POST", "DELETE"])("403 for a member whose role may not write (%s)", async (method) => {
		const token = await tokenFor(await newOrganization(), { role: "org:member" });
		const body = method === "POST" ? { body: { provider: "close", apiKey: GOOD_CLOSE_API_KEY } } : {};
		const response = await settings(method, { token, ...body });
		expect(response.status).toBe(403);
		expect(response.body).toEqual(
			errorBody(response, "FORBIDDEN", "Your role in this organization cannot change CRM settings"),
		);
	});

	it("404 for a path the API does not have", async () => {
		const response = await call(new Request(`${ORIGIN}/api/v1/crm`));
		expect(response.status).toBe(404);
		expect(response.body).toEqual(errorBody(response, "NOT_FOUND", EXPECTED_MESSAGES.notFoundGet));
	});

	it("405 with Allow for a method the path does not offer", async () => {
		const response = await call(new Request(SETTINGS_URL, { method: "PUT" }));
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
		const response = await settings("POST", {
			token,
			body: { provider: "close", apiKey: "k".repeat(17_000) },
		});
		expect(response.status).toBe(413);
		expect(response.body).toEqual(
			errorBody(response, "PAYLOAD_TOO_LARGE", "Request body must be at most 16384 bytes"),
		);
	});

	it("415 for a body not labelled application/json", async () => {
		const token = await tokenFor(await newOrganization());
		const response = await settings("POST", {
			token,
			body: { provider: "close", apiKey: GOOD_CLOSE_API_KEY },
			headers: { "Content-Type": "text/plain" },
		});
		expect(response.status).toBe(415);
		expect(response.body).toEqual(
			errorBody(
				response,
				"UNSUPPORTED_MEDIA_TYPE",
				"Request body must be JSON: send Content-Type: application/json (charset utf-8, if any)",
			),
		);
	});

	it("429 with Retry-After for POST and DELETE past the write limit", async () => {
		// The clock stands still, so the window's first write frees its slot in exactly a minute.
		vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
		onTestFinished(() => {
			vi.useRealTimers();
		});
		const token = await tokenFor(await newOrganization());
		for (let i = 0; i < 10; i++) expect((await settings("DELETE", { token })).status).toBe(200);
		for (const method of ["POST", "DELETE"]) {
			const body = method === "POST" ? { body: { provider: "close", apiKey: GOOD_CLOSE_API_KEY } } : {};
			const response = await settings(method, { token, ...body });
			expect(response.status, method).toBe(429);
			expect(response.body, method).toEqual(
				errorBody(response, "RATE_LIMITED", EXPECTED_MESSAGES.tooManyWrites),
			);
			expect(response.headers.get("Retry-After"), method).toBe("60");
		}
	});

	it.each(["GET", "POST", "DELETE"])("500 when Clerk answers something unusable (%s)", async (method) => {
		const orgId = await newOrganization();
		await queueClerkFaults(orgId, [{ kind: "malformed-json" }]);
		const body = method === "POST" ? { body: { provider: "close", apiKey: GOOD_CLOSE_API_KEY } } : {};
		const response = await settings(method, { token: await tokenFor(orgId), ...body });
		expect(response.status).toBe(500);
		expect(response.body).toEqual(errorBody(response, "INTERNAL_ERROR", "Internal server error"));
	});

	it.each(["GET", "POST", "DELETE"])("404 when Clerk has no such organization (%s)", async (method) => {
		const orgId = await newOrganization();
		await queueClerkFaults(orgId, [{ status: 404 }]);
		const body = method === "POST" ? { body: { provider: "close", apiKey: GOOD_CLOSE_API_KEY } } : {};
		const response = await settings(method, { token: await tokenFor(orgId), ...body });
		expect(response.status).toBe(404);
		expect(response.body).toEqual(
			errorBody(
				response,
				"NOT_FOUND",
				"Clerk has no organization with your session's organization id (it may have been deleted); sign in to an existing organization",
			),
		);
	});

	// A Retry-After past the retry budget: the Worker gives up at once, and passes Clerk's wait on.
	it.each(["GET", "POST", "DELETE"])("503 with Retry-After when Clerk is throttling (%s)", async (method) => {
		const orgId = await newOrganization();
		await queueClerkFaults(orgId, [{ status: 429, retryAfter: "30" }]);
		const body = method === "POST" ? { body: { provider: "close", apiKey: GOOD_CLOSE_API_KEY } } : {};
		const response = await settings(method, { token: await tokenFor(orgId), ...body });
		expect(response.status).toBe(503);
		expect(response.body).toEqual(
			errorBody(response, "UPSTREAM_UNAVAILABLE", EXPECTED_MESSAGES.clerkUnavailable),
		);
		expect(response.headers.get("Retry-After")).toBe("30");
	});

	it("503 with Retry-After when Close cannot be reached to verify a key", async () => {
		const token = await tokenFor(await newOrganization());
		const apiKey = await newCloseApiKey();
		// A Retry-After past Close's budget: no backoff to wait out.
		await queueCloseFaults(apiKey, [{ status: 429, retryAfter: "30" }]);
		const response = await settings("POST", { token, body: { provider: "close", apiKey, verify: true } });
		expect(response.status).toBe(503);
		expect(response.body).toEqual(
			errorBody(response, "UPSTREAM_UNAVAILABLE", EXPECTED_MESSAGES.closeUnreachableOnSave),
		);
		expect(response.headers.get("Retry-After")).toBe("30");
	});

	it("204 for a CORS preflight, 500 for one when the configuration is broken, and 200 without a body for HEAD", async () => {
		const preflight = settingsRequest("OPTIONS", {
			headers: { Origin: "https://app.example.com", "Access-Control-Request-Method": "POST" },
		});
		expect((await call(preflight.clone())).status).toBe(204);
		const broken = await call(preflight, { CLERK_AUTHORIZED_PARTIES: "not an origin" });
		expect(broken.status).toBe(500);
		expect(broken.body).toEqual(errorBody(broken, "INTERNAL_ERROR", "Internal server error"));
		const token = await tokenFor(await newOrganization());
		const head = await settings("HEAD", { token });
		expect(head).toMatchObject({ status: 200, body: null });
	});

	it("200 for the health check and the OpenAPI document", async () => {
		expect((await call(new Request(`${ORIGIN}/api/v1/health`))).body).toEqual({ status: "ok" });
		expect((await call(new Request(`${ORIGIN}/api/v1/openapi.json`))).body).toEqual(document);
	});
});

describe("each documented response of the re-check, as the Worker sends it", () => {
	it("200 with the outcome, 400 for Bullhorn, 403 for a member, 404 with nothing connected", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId, { userId: "user_docs" });
		const missing = await verify({ token });
		expect(missing.status).toBe(404);
		expect(missing.body).toEqual(errorBody(missing, "NOT_FOUND", EXPECTED_MESSAGES.nothingToCheck));
		await settings("POST", { token, body: { provider: "close", apiKey: GOOD_CLOSE_API_KEY } });
		const checked = await verify({ token });
		expect(checked.status).toBe(200);
		expect(checked.body).toMatchObject({ connected: true, status: "verified" });
		const member = await verify({ token: await tokenFor(orgId, { role: "org:member" }) });
		expect(member.status).toBe(403);
		await settings("POST", { token, body: { provider: "bullhorn", apiKey: "bh-secret-key-0000abc1" } });
		const bullhorn = await verify({ token });
		expect(bullhorn.status).toBe(400);
		expect(bullhorn.body).toEqual(
			errorBody(bullhorn, "VALIDATION_ERROR", EXPECTED_MESSAGES.bullhornUncheckable),
		);
	});

	it("429 past the write limit, 500 for an unusable Clerk answer, 503 with Retry-After when Clerk throttles", async () => {
		const limitedToken = await tokenFor(await newOrganization());
		for (let i = 0; i < 10; i++) expect((await settings("DELETE", { token: limitedToken })).status).toBe(200);
		expect((await verify({ token: limitedToken })).status).toBe(429);

		const unusable = await newOrganization();
		await queueClerkFaults(unusable, [{ kind: "malformed-json" }]);
		expect((await verify({ token: await tokenFor(unusable) })).status).toBe(500);

		const throttled = await newOrganization();
		await queueClerkFaults(throttled, [{ status: 429, retryAfter: "30" }]);
		const response = await verify({ token: await tokenFor(throttled) });
		expect(response.status).toBe(503);
		expect(response.body).toEqual(
			errorBody(response, "UPSTREAM_UNAVAILABLE", EXPECTED_MESSAGES.clerkUnavailable),
		);
		expect(response.headers.get("Retry-After")).toBe("30");
	});

	it("204 for a CORS preflight, 500 for one when the configuration is broken", async () => {
		const headers = { Origin: "https://app.example.com", "Access-Control-Request-Method": "POST" };
		expect((await verify({ headers }, "OPTIONS")).status).toBe(204);
		const broken = await verify({ headers, env: { CLERK_AUTHORIZED_PARTIES: "not an origin" } }, "OPTIONS");
		expect(broken.status).toBe(500);
	});
});

describe("each documented response of the history, as the Worker sends it", () => {
	const history = (options: CallOptions = {}, method = "GET") =>
		call(settingsRequest(method, { ...options, url: `${SETTINGS_URL}/history` }), options.env);

	it("200 with the events, 400 for a bad query, 403 for a member, 500 for a broken configuration", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId, { userId: "user_docs" });
		await settings("POST", { token, body: { provider: "close", apiKey: GOOD_CLOSE_API_KEY } });
		const page = await history({ token });
		expect(page.status).toBe(200);
		expect((page.body as { events: { type: string }[] }).events.map((event) => event.type)).toEqual([
			"connected",
		]);
		expect(
			(
				await call(
					new Request(`${SETTINGS_URL}/history?limit=0`, { headers: { Authorization: `Bearer ${token}` } }),
				)
			).status,
		).toBe(400);
		expect((await history({ token: await tokenFor(orgId, { role: "org:member" }) })).status).toBe(403);
		expect((await history({ token, env: { CLERK_JWT_KEY: "not a key" } })).status).toBe(500);
	});

	it("204 for a CORS preflight, 500 for one when the configuration is broken", async () => {
		const headers = { Origin: "https://app.example.com", "Access-Control-Request-Method": "GET" };
		expect((await history({ headers }, "OPTIONS")).status).toBe(204);
		expect(
			(await history({ headers, env: { CLERK_AUTHORIZED_PARTIES: "not an origin" } }, "OPTIONS")).status,
		).toBe(500);
	});
});

describe("this file", () => {
	it("received every response the document declares", () => {
		const declared = Object.entries(document.paths).flatMap(([path, item]) =>
			Object.entries(item as Record<string, { responses?: object }>).flatMap(([method, operation]) =>
				Object.keys(operation.responses ?? {}).map((status) => `${method.toUpperCase()} ${path} ${status}`),
			),
		);
		expect(declared.length).toBeGreaterThan(0);
		expect(declared.filter((response) => !received.has(response))).toEqual([]);
	});
});
