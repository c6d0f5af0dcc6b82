import { describe, expect, inject, it } from "vitest";
import { EXPECTED_MESSAGES, TEST_FRONTEND_ORIGIN } from "./constants.ts";
import { type EnvOverrides, errorBody, getSettings, SETTINGS_URL, send, VERIFY_URL } from "./support/api.ts";
import { newOrganization } from "./support/emulator.ts";
import { captureLogs } from "./support/logs.ts";
import { tokenFor } from "./support/tokens.ts";

const NOT_FOUND_GET = EXPECTED_MESSAGES.notFoundGet;

describe("paths and methods the API does not have", () => {
	it("a token pasted into the path is neither echoed in the 404 nor written to the log", async () => {
		const token = await tokenFor(await newOrganization());
		const logs = captureLogs();
		const response = await send(
			new Request(`https://crm.example.com/api/v1/operations/crm/settings/${token}`),
		);
		expect(response.status).toBe(404);
		expect(response.body).toEqual(errorBody(response, "NOT_FOUND", NOT_FOUND_GET));
		expect(logs.entries()).toEqual([
			{
				level: "info",
				msg: "request",
				method: "GET",
				path: "(no such path)",
				status: 404,
				ms: expect.any(Number),
				requestId: response.headers.get("X-Request-Id"),
				orgId: null,
			},
		]);
		expect(logs.lines.join("\n")).not.toContain(token.split(".")[2]);
	});

	it("an unknown path → 404 NOT_FOUND in the error shape", async () => {
		const response = await send(new Request("https://crm.example.com/api/v1/operations/crm/nope"));
		expect(response.status).toBe(404);
		expect(response.body).toEqual(errorBody(response, "NOT_FOUND", NOT_FOUND_GET));
		expect(response.headers.get("Cache-Control")).toBe("no-store");
	});

	it("an OPTIONS preflight to an unknown path → 404, not a CORS answer", async () => {
		const response = await send(
			new Request("https://crm.example.com/api/v1/operations/crm/nope", {
				method: "OPTIONS",
				headers: { Origin: TEST_FRONTEND_ORIGIN, "Access-Control-Request-Method": "GET" },
			}),
		);
		expect(response.status).toBe(404);
		expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
	});

	it("the root → 404 too", async () => {
		const response = await send(new Request("https://crm.example.com/"));
		expect(response.status).toBe(404);
		expect(response.body).toEqual(errorBody(response, "NOT_FOUND", NOT_FOUND_GET));
	});

	it.each(["PUT", "PATCH"])("%s on the settings path → 405 METHOD_NOT_ALLOWED with Allow", async (method) => {
		const response = await send(new Request(SETTINGS_URL, { method }));
		expect(response.status).toBe(405);
		expect(response.body).toEqual(
			errorBody(
				response,
				"METHOD_NOT_ALLOWED",
				`${method} is not supported here; use GET, HEAD, POST, DELETE, OPTIONS`,
			),
		);
		expect(response.headers.get("Allow")).toBe("GET, HEAD, POST, DELETE, OPTIONS");
	});

	it("HEAD answers like GET without a body", async () => {
		const orgId = await newOrganization();
		const response = await send(
			new Request(SETTINGS_URL, {
				method: "HEAD",
				headers: { Authorization: `Bearer ${await tokenFor(orgId)}` },
			}),
		);
		expect(response.status).toBe(200);
		expect(response.body).toBeNull();
	});
});

describe("CORS for the origins in CLERK_AUTHORIZED_PARTIES", () => {
	const preflight = (origin: string, url = SETTINGS_URL) =>
		send(
			new Request(url, {
				method: "OPTIONS",
				headers: {
					Origin: origin,
					"Access-Control-Request-Method": "POST",
					"Access-Control-Request-Headers": "authorization, content-type",
				},
			}),
		);

	it("answers a preflight from an authorized origin", async () => {
		const response = await preflight(TEST_FRONTEND_ORIGIN);
		expect(response.status).toBe(204);
		expect(Object.fromEntries(response.headers)).toMatchObject({
			"access-control-allow-origin": TEST_FRONTEND_ORIGIN,
			"access-control-allow-methods": "GET,POST,DELETE",
			"access-control-allow-headers": "Authorization,Content-Type,X-Request-Id",
			"access-control-max-age": "600",
		});
	});

	it("offers only POST on the re-check path", async () => {
		const response = await preflight(TEST_FRONTEND_ORIGIN, VERIFY_URL);
		expect(response.status).toBe(204);
		expect(response.headers.get("Access-Control-Allow-Methods")).toBe("POST");
	});

	it("with no origins configured, sends no CORS header at all and answers OPTIONS as a plain request", async () => {
		const noOrigins = { CLERK_AUTHORIZED_PARTIES: "" };
		const options = await send(
			new Request(SETTINGS_URL, {
				method: "OPTIONS",
				headers: { Origin: TEST_FRONTEND_ORIGIN, "Access-Control-Request-Method": "POST" },
			}),
			noOrigins,
		);
		expect(options.status).toBe(204);
		expect(options.headers.get("Allow")).toBe("GET, HEAD, POST, DELETE, OPTIONS");
		const orgId = await newOrganization();
		const get = await getSettings({
			token: await tokenFor(orgId),
			headers: { Origin: TEST_FRONTEND_ORIGIN },
			env: noOrigins,
		});
		expect(get.status).toBe(200);
		for (const response of [options, get]) {
			expect([...response.headers.keys()].filter((name) => name.startsWith("access-control-"))).toEqual([]);
		}
	});

	it("grants nothing to another origin", async () => {
		const response = await preflight("https://evil.example");
		expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
	});

	it("exposes X-Request-Id to the authorized front end on real responses", async () => {
		const orgId = await newOrganization();
		const response = await getSettings({
			token: await tokenFor(orgId),
			headers: { Origin: TEST_FRONTEND_ORIGIN },
		});
		expect(response.headers.get("Access-Control-Allow-Origin")).toBe(TEST_FRONTEND_ORIGIN);
		expect(response.headers.get("Access-Control-Expose-Headers")).toBe("X-Request-Id,Retry-After");
		expect(response.headers.get("Vary")).toContain("Origin");
	});
});

/** A request under `env` answers a plain 500, and the log says which setting is wrong and how. */
async function expectConfigurationError(env: EnvOverrides, problem: string) {
	const logs = captureLogs();
	const orgId = await newOrganization();
	const response = await getSettings({ token: await tokenFor(orgId), env });
	expect(response.status).toBe(500);
	expect(response.body).toEqual(errorBody(response, "INTERNAL_ERROR", "Internal server error"));
	expect(logs.entries()[0]).toEqual({
		level: "error",
		msg: "configuration error",
		problem,
		requestId: response.headers.get("X-Request-Id"),
	});
}

describe("configuration", () => {
	const pem = () => inject("jwtPublicKey");
	const body = (text: string) => text.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");

	it.each([
		["a PEM with real newlines", () => pem()],
		["a PEM with literal \\n sequences", () => pem().trim().replaceAll("\n", "\\n")],
		["the bare base64 body", () => body(pem())],
		["a quoted PEM with literal \\n", () => `"${pem().trim().replaceAll("\n", "\\n")}"`],
	])("CLERK_JWT_KEY as %s verifies tokens", async (_name, jwtKey) => {
		const orgId = await newOrganization();
		const response = await getSettings({ token: await tokenFor(orgId), env: { CLERK_JWT_KEY: jwtKey() } });
		expect(response.status).toBe(200);
	});

	it.each([
		["CLERK_JWT_KEY", { CLERK_JWT_KEY: "" }, "CLERK_JWT_KEY is empty"],
		["CLERK_JWT_KEY", { CLERK_JWT_KEY: undefined }, "CLERK_JWT_KEY is not set"],
		["CLERK_SECRET_KEY", { CLERK_SECRET_KEY: "  " }, "CLERK_SECRET_KEY is empty"],
		[
			"CLERK_JWT_KEY",
			{ CLERK_JWT_KEY: "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----" },
			"CLERK_JWT_KEY is not the PEM public key of a Clerk instance (2048-bit RSA)",
		],
		["CLERK_API_URL", { CLERK_API_URL: "not a url" }, "CLERK_API_URL is not a URL"],
		// A page read and one record's fresh read and write: with 2, a run could never re-seal anything.
		[
			"CRM_ROTATION_CLERK_CALLS_PER_RUN",
			{ CRM_ROTATION_CLERK_CALLS_PER_RUN: "2" },
			"CRM_ROTATION_CLERK_CALLS_PER_RUN must be whole Clerk calls from 3 to 500",
		],
		[
			"CRM_CACHE_TTL_SECONDS",
			{ CRM_CACHE_TTL_SECONDS: "1.5" },
			"CRM_CACHE_TTL_SECONDS must be whole seconds from 0 to 3600",
		],
	])("a bad %s → 500 for the client, a log line naming the variable", async (_name, env, problem) => {
		await expectConfigurationError(env as EnvOverrides, problem);
	});
});

describe("configuration that would weaken security", () => {
	it.each([
		[
			"CLERK_API_URL over plain http to another host",
			{ CLERK_API_URL: "http://api.clerk.com" },
			"CLERK_API_URL must be an https URL (http only for localhost)",
		],
		[
			"CLOSE_API_URL over plain http to another host",
			{ CLOSE_API_URL: "http://api.close.com" },
			"CLOSE_API_URL must be an https URL (http only for localhost)",
		],
		[
			'an authorized party without a scheme (its origin would be "null")',
			{ CLERK_AUTHORIZED_PARTIES: "localhost:3000" },
			'CLERK_AUTHORIZED_PARTIES: "localhost:3000" is not an http(s) origin such as https://app.example.com',
		],
		[
			"a blank CRM_ENCRYPTION_KEYS (never a silent fallback to plaintext)",
			{ CRM_ENCRYPTION_KEYS: "  " },
			"CRM_ENCRYPTION_KEYS: is set but empty; remove the secret to store keys in plaintext",
		],
	])("%s → 500 and a log line naming the variable", async (_name, env, problem) => {
		await expectConfigurationError(env, problem);
	});

	it("accepts http to localhost and 127.0.0.1 (the emulator)", async () => {
		const orgId = await newOrganization();
		const response = await getSettings({
			token: await tokenFor(orgId),
			env: { CLOSE_API_URL: "http://localhost:9" },
		});
		expect(response.status).toBe(200);
	});
});
