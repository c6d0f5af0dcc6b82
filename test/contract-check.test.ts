import { describe, expect, it } from "vitest";
import document from "../src/openapi/openapi.json" with { type: "json" };
import { SETTINGS_URL } from "./support/api.ts";
import { ContractViolation, contractCheck } from "./support/contract.ts";

// The check that `send()` runs on every response, fed drifted responses: each must fail the test.

const contract = contractCheck(document);
const OPENAPI_URL = "https://crm.example.com/api/v1/openapi.json";

function received(status: number, body: unknown, headers: Record<string, string> = {}) {
	return {
		status,
		body,
		headers: new Headers({
			"Content-Type": "application/json",
			"X-Request-Id": "req-1",
			"Cache-Control": "no-store",
			...headers,
		}),
	};
}

const settings = {
	connected: true,
	provider: "close",
	connectedAt: "2024-01-15T10:30:00.000Z",
	apiKeyMasked: "********************abc1",
	apiKeyId: "api_7b8KOSMa0OevK9qJvT6F9s",
	connectedBy: "user_1",
	status: "unverified",
};
const error = (code: string, message = "Something") => ({ error: message, code, requestId: "req-1" });

describe("the contract check accepts what the document declares", () => {
	it.each([
		["GET settings, connected", "GET", SETTINGS_URL, received(200, settings)],
		[
			"GET settings, not connected",
			"GET",
			SETTINGS_URL,
			received(200, { connected: false, provider: null, apiKeyMasked: null }),
		],
		["a 403 to a POST", "POST", SETTINGS_URL, received(403, error("FORBIDDEN"))],
		[
			"a 400 with details",
			"POST",
			SETTINGS_URL,
			received(400, { ...error("VALIDATION_ERROR"), details: [{ path: "apiKey", message: "bad" }] }),
		],
		[
			"a 404 for a path it does not list",
			"GET",
			"https://crm.example.com/nope",
			received(404, error("NOT_FOUND")),
		],
		["a 405 with Allow", "PUT", SETTINGS_URL, received(405, error("METHOD_NOT_ALLOWED"), { Allow: "GET" })],
		["HEAD without a body", "HEAD", SETTINGS_URL, received(200, null)],
		["a preflight without a body", "OPTIONS", SETTINGS_URL, received(204, null)],
		["the document itself", "GET", OPENAPI_URL, received(200, document)],
	])("%s", (_, method, url, response) => {
		expect(() => contract.response(method, url, response)).not.toThrow();
	});
});

describe("the contract check rejects a response that drifted from the document", () => {
	it.each([
		[
			"a field of the wrong type",
			"GET",
			SETTINGS_URL,
			received(200, { ...settings, connected: "yes" }),
			"connected",
		],
		[
			"a required field missing",
			"GET",
			SETTINGS_URL,
			received(200, { connected: false, provider: null }),
			"apiKeyMasked",
		],
		[
			"a field the document does not name",
			"GET",
			SETTINGS_URL,
			received(200, { ...settings, verified: true }),
			"verified",
		],
		[
			"a provider it does not list",
			"GET",
			SETTINGS_URL,
			received(200, { ...settings, provider: "hubspot" }),
			"provider",
		],
		[
			"a status not declared for the operation",
			"GET",
			SETTINGS_URL,
			received(403, error("FORBIDDEN")),
			"does not declare",
		],
		[
			"a status declared nowhere",
			"POST",
			SETTINGS_URL,
			received(418, error("FORBIDDEN")),
			"does not declare",
		],
		[
			"an error code of another status",
			"POST",
			SETTINGS_URL,
			received(403, error("VALIDATION_ERROR")),
			"code",
		],
		["an error body of another shape", "DELETE", SETTINGS_URL, received(500, { message: "boom" }), "error"],
		[
			"an unknown path answered other than 404",
			"GET",
			"https://crm.example.com/nope",
			received(200, {}),
			"404",
		],
		[
			"an undeclared method answered other than 405",
			"PUT",
			SETTINGS_URL,
			received(404, error("NOT_FOUND")),
			"405",
		],
		["a 405 without Allow", "PUT", SETTINGS_URL, received(405, error("METHOD_NOT_ALLOWED")), "Allow"],
		[
			"a response without X-Request-Id",
			"GET",
			OPENAPI_URL,
			{ ...received(200, {}), headers: new Headers() },
			"X-Request-Id",
		],
		["a body where none is declared", "OPTIONS", SETTINGS_URL, received(204, { ok: true }), "body"],
		[
			"a body of another media type",
			"GET",
			SETTINGS_URL,
			received(200, settings, { "Content-Type": "text/plain" }),
			"text/plain",
		],
	])("%s", (_, method, url, response, mentioned) => {
		expect(() => contract.response(method, url, response)).toThrow(ContractViolation);
		expect(() => contract.response(method, url, response)).toThrow(mentioned);
	});
});
