import { describe, expect, it } from "vitest";
import { errorBody, saveSettings } from "./support/api.ts";
import { clerkCalls, newOrganization } from "./support/emulator.ts";
import { tokenFor } from "./support/tokens.ts";

const INVALID_BODY = "Request body is invalid";

/** POSTs `body` as an admin of a fresh org; returns the response and the org's Clerk calls after it. */
async function post(body: unknown, headers: Record<string, string> = {}) {
	const orgId = await newOrganization();
	const response = await saveSettings({ token: await tokenFor(orgId), body, headers });
	return { response, calls: await clerkCalls(orgId) };
}

describe("POST with a body that breaks the contract", () => {
	const cases: [string, unknown, { path: string; message: string }[]][] = [
		[
			"unknown provider",
			{ provider: "salesforce", apiKey: "k".repeat(20) },
			[{ path: "provider", message: 'provider must be "close" or "bullhorn"' }],
		],
		[
			"miscased provider",
			{ provider: "Close", apiKey: "k".repeat(20) },
			[{ path: "provider", message: 'provider must be "close" or "bullhorn"' }],
		],
		["missing provider", { apiKey: "k".repeat(20) }, [{ path: "provider", message: "provider is required" }]],
		["missing apiKey", { provider: "close" }, [{ path: "apiKey", message: "apiKey is required" }]],
		[
			"empty object",
			{},
			[
				{ path: "provider", message: "provider is required" },
				{ path: "apiKey", message: "apiKey is required" },
			],
		],
		[
			"apiKey of the wrong type",
			{ provider: "close", apiKey: 1234567890123456 },
			[{ path: "apiKey", message: "apiKey must be a string" }],
		],
		[
			"provider of the wrong type",
			{ provider: ["close"], apiKey: "k".repeat(20) },
			[{ path: "provider", message: 'provider must be "close" or "bullhorn"' }],
		],
		[
			"null apiKey",
			{ provider: "close", apiKey: null },
			[{ path: "apiKey", message: "apiKey must be a string" }],
		],
		[
			"empty apiKey",
			{ provider: "close", apiKey: "" },
			[{ path: "apiKey", message: "apiKey must not be empty or blank" }],
		],
		[
			"blank apiKey",
			{ provider: "close", apiKey: " \t  " },
			[{ path: "apiKey", message: "apiKey must not be empty or blank" }],
		],
		[
			"oversized apiKey",
			{ provider: "close", apiKey: "k".repeat(2049) },
			[{ path: "apiKey", message: "apiKey must be at most 2048 bytes in UTF-8" }],
		],
		[
			// 683 characters, 2049 bytes: Clerk counts bytes, so the cap does too.
			"apiKey of 2049 bytes in 3-byte characters",
			{ provider: "close", apiKey: "€".repeat(683) },
			[{ path: "apiKey", message: "apiKey must be at most 2048 bytes in UTF-8" }],
		],
		[
			// 1025 characters outside the Basic Multilingual Plane: 2050 UTF-16 code units, 4100 bytes.
			"apiKey of 1025 astral characters",
			{ provider: "close", apiKey: "😀".repeat(1025) },
			[{ path: "apiKey", message: "apiKey must be at most 2048 bytes in UTF-8" }],
		],
		[
			"apiKey with a NUL",
			{ provider: "close", apiKey: "abcd\u0000efghijklmnop" },
			[
				{
					path: "apiKey",
					message: "apiKey must not contain control, invisible formatting or blank filler characters",
				},
			],
		],
		[
			"apiKey with a newline inside",
			{ provider: "close", apiKey: "abcdefgh\nijklmnop" },
			[
				{
					path: "apiKey",
					message: "apiKey must not contain control, invisible formatting or blank filler characters",
				},
			],
		],
		[
			"apiKey with a C1 control",
			{ provider: "close", apiKey: "abcdefgh\u009bijklmnop" },
			[
				{
					path: "apiKey",
					message: "apiKey must not contain control, invisible formatting or blank filler characters",
				},
			],
		],
		[
			"apiKey with a zero-width space",
			{ provider: "close", apiKey: "abcdefgh\u200bijklmnop" },
			[
				{
					path: "apiKey",
					message: "apiKey must not contain control, invisible formatting or blank filler characters",
				},
			],
		],
		...[
			["only Hangul fillers U+3164 (visually blank)", "\u3164\u3164\u3164\u3164\u3164"],
			["the Hangul choseong filler U+115F inside", "abcdefgh\u115Fijklmnop"],
			["the blank Braille pattern U+2800", "\u2800abcdefghijklmnop"],
			["a lone surrogate at its end (its mask would show half a character)", "abcdefghijklmnop\uD800"],
		].map(([name, apiKey]): (typeof cases)[number] => [
			`apiKey with ${name}`,
			{ provider: "close", apiKey },
			[
				{
					path: "apiKey",
					message: "apiKey must not contain control, invisible formatting or blank filler characters",
				},
			],
		]),
		[
			"an unknown field",
			{ provider: "close", apiKey: "k".repeat(20), orgId: "org_other" },
			[{ path: "orgId", message: "orgId is not a known field" }],
		],
	];

	it.each(cases)(
		"%s → 400 VALIDATION_ERROR naming each field, nothing written",
		async (_name, body, details) => {
			const { response, calls } = await post(body);
			expect(response.status).toBe(400);
			expect(response.body).toEqual(errorBody(response, "VALIDATION_ERROR", INVALID_BODY, details));
			expect(calls).toEqual([]);
		},
	);

	it.each([
		["2048 ASCII characters", "k".repeat(2048)],
		["682 three-byte characters and 2 ASCII ones", `${"€".repeat(682)}kk`],
		["512 four-byte characters", "😀".repeat(512)],
	])("accepts an apiKey of exactly 2048 bytes: %s", async (_name, apiKey) => {
		const { response } = await post({ provider: "bullhorn", apiKey });
		expect(response.status).toBe(200);
		expect(response.body).toEqual({ success: true, provider: "bullhorn", connectedAt: expect.any(String) });
	});
});

describe("POST with a body that is not a JSON object", () => {
	const notObjects: [string, string][] = [
		["an array", "[]"],
		["a string", '"close"'],
		["a number", "42"],
		["null", "null"],
	];

	it.each(notObjects)("%s → 400 saying the body must be an object", async (_name, raw) => {
		const { response, calls } = await post(raw);
		expect(response.status).toBe(400);
		expect(response.body).toEqual(
			errorBody(response, "VALIDATION_ERROR", INVALID_BODY, [
				{ path: "", message: "Request body must be a JSON object" },
			]),
		);
		expect(calls).toEqual([]);
	});

	it("malformed JSON → 400 saying so", async () => {
		const { response, calls } = await post('{"provider": "close", "apiKey": ');
		expect(response.status).toBe(400);
		expect(response.body).toEqual(errorBody(response, "VALIDATION_ERROR", "Request body is not valid JSON"));
		expect(calls).toEqual([]);
	});

	it("an empty body → 400 saying it is not valid JSON", async () => {
		const { response } = await post("");
		expect(response.status).toBe(400);
		expect(response.body).toEqual(errorBody(response, "VALIDATION_ERROR", "Request body is not valid JSON"));
	});

	it("a body that is not labelled JSON → 400 naming the expected Content-Type", async () => {
		const { response, calls } = await post('{"provider":"close","apiKey":"kkkkkkkkkkkkkkkkkkkk"}', {
			"Content-Type": "text/plain",
		});
		expect(response.status).toBe(400);
		expect(response.body).toEqual(
			errorBody(response, "VALIDATION_ERROR", "Request body must be JSON (Content-Type: application/json)"),
		);
		expect(calls).toEqual([]);
	});

	it("accepts application/json with a charset parameter", async () => {
		const { response } = await post(
			{ provider: "bullhorn", apiKey: "k".repeat(20) },
			{ "Content-Type": "application/json; charset=utf-8" },
		);
		expect(response.status).toBe(200);
	});

	it("a body over 16 KiB → 413 PAYLOAD_TOO_LARGE, nothing written", async () => {
		const { response, calls } = await post({ provider: "close", apiKey: "k".repeat(17 * 1024) });
		expect(response.status).toBe(413);
		expect(response.body).toEqual(
			errorBody(response, "PAYLOAD_TOO_LARGE", "Request body must be at most 16384 bytes"),
		);
		expect(calls).toEqual([]);
	});

	it("a body over 16 KiB sent without Content-Length (streamed) → 413 as well", async () => {
		const orgId = await newOrganization();
		const chunk = new TextEncoder().encode(" ".repeat(4096));
		const stream = new ReadableStream<Uint8Array>({
			start(controller) {
				for (let i = 0; i < 5; i++) controller.enqueue(chunk);
				controller.close();
			},
		});
		const { send, SETTINGS_URL } = await import("./support/api.ts");
		const response = await send(
			new Request(SETTINGS_URL, {
				method: "POST",
				headers: { Authorization: `Bearer ${await tokenFor(orgId)}`, "Content-Type": "application/json" },
				body: stream,
				// @ts-expect-error: `duplex` is required by the fetch spec for streamed bodies but not yet typed
				duplex: "half",
			}),
		);
		expect(response.status).toBe(413);
		expect(response.body).toEqual(
			errorBody(response, "PAYLOAD_TOO_LARGE", "Request body must be at most 16384 bytes"),
		);
		expect(await clerkCalls(orgId)).toEqual([]);
	});
});
