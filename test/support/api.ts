/** Calls the Worker through its fetch handler, inside workerd, the way the platform does. */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { expect } from "vitest";
import worker from "../../src/index.ts";
import document from "../../src/openapi/openapi.json" with { type: "json" };
import { contractCheck } from "./contract.ts";

const contract = contractCheck(document);

/** Configuration to replace for one call; CRM_ENCRYPTION_KEYS is an optional secret, so not in Env. */
export type EnvOverrides = Partial<Record<keyof Env | "CRM_ENCRYPTION_KEYS", string>>;

export const SETTINGS_URL = "https://crm.example.com/api/v1/operations/crm/settings";
export const VERIFY_URL = `${SETTINGS_URL}/verify`;

export interface ApiResponse {
	status: number;
	headers: Headers;
	body: unknown;
}

/**
 * Sends `request` to the Worker, with `envOverrides` replacing configuration for this call only. The
 * response must match the OpenAPI document (see contract.ts): a mismatch fails the test that sent it.
 */
export async function send(request: Request, envOverrides: EnvOverrides = {}): Promise<ApiResponse> {
	const ctx = createExecutionContext();
	const bindings = Object.keys(envOverrides).length === 0 ? env : { ...env, ...envOverrides };
	const response = await worker.fetch(request, bindings, ctx);
	await waitOnExecutionContext(ctx);
	const text = await response.text();
	const received = {
		status: response.status,
		headers: response.headers,
		body: text === "" ? null : JSON.parse(text),
	};
	contract.response(request.method, request.url, received);
	return received;
}

export interface CallOptions {
	token?: string;
	body?: unknown;
	headers?: Record<string, string>;
	env?: EnvOverrides;
	/** SETTINGS_URL unless given. */
	url?: string;
}

/** A request to the settings endpoint: JSON body when given, bearer token when given. */
export function settingsRequest(method: string, options: CallOptions = {}): Request {
	const headers = new Headers(options.headers);
	if (options.token !== undefined) headers.set("Authorization", `Bearer ${options.token}`);
	let body: string | undefined;
	if (options.body !== undefined) {
		body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
		if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
	}
	return new Request(options.url ?? SETTINGS_URL, {
		method,
		headers,
		...(body === undefined ? {} : { body }),
	});
}

export const getSettings = (options: CallOptions = {}) => send(settingsRequest("GET", options), options.env);
export const saveSettings = (options: CallOptions = {}) =>
	send(settingsRequest("POST", options), options.env);
export const disconnect = (options: CallOptions = {}) =>
	send(settingsRequest("DELETE", options), options.env);
/** `POST …/crm/settings/verify`: re-check the stored key. */
export const recheck = (options: CallOptions = {}) =>
	send(settingsRequest("POST", { ...options, url: VERIFY_URL }), options.env);

/** The error body every failure carries; `requestId` is checked to be the response's X-Request-Id. */
export function errorBody(response: ApiResponse, code: string, error: string, details?: unknown) {
	return {
		error,
		code,
		requestId: response.headers.get("X-Request-Id"),
		...(details === undefined ? {} : { details }),
	};
}

/** Status of each error code (docs/contract.md §3), written out here so the tests do not trust the code's own map. */
const STATUS_OF_CODE: Record<string, number> = {
	VALIDATION_ERROR: 400,
	FORBIDDEN: 403,
	NOT_FOUND: 404,
	METHOD_NOT_ALLOWED: 405,
	PAYLOAD_TOO_LARGE: 413,
	UNSUPPORTED_MEDIA_TYPE: 415,
	RATE_LIMITED: 429,
	INTERNAL_ERROR: 500,
	UPSTREAM_UNAVAILABLE: 503,
};

/**
 * Asserts that `response` is an error in the one shape of docs/contract.md §3, whatever the error: a status that
 * matches its code, a message, the response's request id, and `details` only as `{ path, message }`s.
 */
export function expectErrorShape(response: ApiResponse): void {
	const body = response.body as Record<string, unknown>;
	expect(response.headers.get("X-Request-Id")).toMatch(/\S/);
	expect(body).toEqual({
		error: expect.stringMatching(/\S/),
		code: expect.any(String),
		requestId: response.headers.get("X-Request-Id"),
		...("details" in body ? { details: expect.any(Array) } : {}),
	});
	expect(STATUS_OF_CODE[body.code as string]).toBe(response.status);
	if ("details" in body) {
		const details = body.details as unknown[];
		expect(details.length).toBeGreaterThan(0);
		for (const detail of details) {
			expect(detail).toEqual({ path: expect.any(String), message: expect.stringMatching(/\S/) });
		}
	}
}
