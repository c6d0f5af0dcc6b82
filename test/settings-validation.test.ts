import { describe, expect, it } from "vitest";
import { errorBody, SETTINGS_URL, saveSettings, send } from "./support/api.ts";
import { clerkCalls, newOrganization } from "./support/emulator.ts";
import { tokenFor } from "./support/tokens.ts";

const INVALID_BODY = "Request body is invalid";
const CHARACTERS_REFUSED =
	"apiKey must not contain control, invisible, blank filler, private-use or unassigned characters";
const NOT_JSON_MEDIA_TYPE =
	"Request body must be JSON: send Content-Type: application/json (charset utf-8, if any)";

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
			[{ path: "apiKey", message: CHARACTERS_REFUSED }],
		],
		[
			"apiKey with a newline inside",
			{ provider: "close", apiKey: "abcdefgh\nijklmnop" },
			[{ path: "apiKey", message: CHARACTERS_REFUSED }],
		],
		[
			"apiKey with a C1 control",
			{ provider: "close", apiKey: "abcdefgh\u009bijklmnop" },
			[{ path: "apiKey", message: CHARACTERS_REFUSED }],
		],
		[
			"apiKey with a zero-width space",
			{ provider: "close", apiKey: "abcdefgh\u200bijklmnop" },
			[{ path: "apiKey", message: CHARACTERS_REFUSED }],
		],
		...[
			["only Hangul fillers U+3164 (visually blank)", "\u3164\u3164\u3164\u3164\u3164"],
			["the Hangul choseong filler U+115F inside", "abcdefgh\u115Fijklmnop"],
			["the blank Braille pattern U+2800", "\u2800abcdefghijklmnop"],
			["a lone surrogate at its end (its mask would show half a character)", "abcdefghijklmnop\uD800"],
			// Each of these was once accepted and then shown in the mask as characters that draw as nothing.
			["only variation selectors U+FE0F (16 of them, a mask of nothing)", "\uFE0F".repeat(16)],
			["the combining grapheme joiner U+034F (default-ignorable)", "abcdefghijklmnop\u034F"],
			["the Khmer inherent vowel U+17B4 (default-ignorable)", "abcdefghijklmnop\u17B4"],
			["the variation selector U+E0100, outside the BMP", "abcdefghijklmnop\u{E0100}"],
			["the unassigned code point U+0378", "abcdefghijklmnop\u0378"],
			["the noncharacter U+FFFF", "abcdefghijklmnop\uFFFF"],
			["the private-use code point U+E000", "abcdefghijklmnop\uE000"],
		].map(([name, apiKey]): (typeof cases)[number] => [
			`apiKey with ${name}`,
			{ provider: "close", apiKey },
			[{ path: "apiKey", message: CHARACTERS_REFUSED }],
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

describe("POST with the body's Content-Type", () => {
	const valid = { provider: "bullhorn", apiKey: "k".repeat(20) };

	it.each([
		"application/json",
		"application/json; charset=UTF-8",
		'application/json;charset="utf-8"',
		"Application/JSON; Charset=utf-8",
		"application/json ; charset=utf-8",
		// RFC 9110 §5.6.6 allows an empty parameter: this is application/json with none.
		"application/json;",
	])("%s → accepted and saved", async (contentType) => {
		const { response, calls } = await post(valid, { "Content-Type": contentType });
		expect(response.status).toBe(200);
		expect(response.body).toEqual({ success: true, provider: "bullhorn", connectedAt: expect.any(String) });
		expect(calls).toEqual([expect.objectContaining({ method: "PATCH" })]);
	});

	it.each([
		"text/plain",
		"text/plain; charset=utf-8",
		"text/json",
		"application/vnd.api+json",
		"application/merge-patch+json",
		"application/json; charset=utf-16",
		"application/json; charset=latin1",
		'application/json; charset="utf-16"',
		"application/json; charset=utf8",
		"application/json; profile=x",
		"application/json; charset=utf-8; profile=x",
		"application/json; charset = utf-8",
		"application/jsonx",
		"multipart/form-data; boundary=x",
	])("%s → 415 UNSUPPORTED_MEDIA_TYPE saying what to send, nothing written", async (contentType) => {
		const { response, calls } = await post(valid, { "Content-Type": contentType });
		expect(response.status).toBe(415);
		expect(response.body).toEqual(errorBody(response, "UNSUPPORTED_MEDIA_TYPE", NOT_JSON_MEDIA_TYPE));
		expect(calls).toEqual([]);
	});

	it("none at all → 415 UNSUPPORTED_MEDIA_TYPE, nothing written", async () => {
		const orgId = await newOrganization();
		// Bytes, not a string: a string body would make Request add `text/plain;charset=UTF-8` itself.
		const request = new Request(SETTINGS_URL, {
			method: "POST",
			headers: { Authorization: `Bearer ${await tokenFor(orgId)}` },
			body: new TextEncoder().encode(JSON.stringify(valid)),
		});
		expect(request.headers.get("Content-Type")).toBeNull();
		const response = await send(request);
		expect(response.status).toBe(415);
		expect(response.body).toEqual(errorBody(response, "UNSUPPORTED_MEDIA_TYPE", NOT_JSON_MEDIA_TYPE));
		expect(await clerkCalls(orgId)).toEqual([]);
	});

	it("a UTF-16 body labelled charset=utf-16 → 415, not misread as UTF-8", async () => {
		const orgId = await newOrganization();
		// A byte-order mark, then each (ASCII) character as two bytes, little-endian.
		const text = JSON.stringify(valid);
		const utf16 = new Uint8Array(2 + text.length * 2);
		utf16.set([0xff, 0xfe]);
		for (let i = 0; i < text.length; i++) utf16[2 + i * 2] = text.charCodeAt(i);
		const response = await send(
			new Request(SETTINGS_URL, {
				method: "POST",
				headers: {
					Authorization: `Bearer ${await tokenFor(orgId)}`,
					"Content-Type": "application/json; charset=utf-16",
				},
				body: utf16,
			}),
		);
		expect(response.status).toBe(415);
		expect(response.body).toEqual(errorBody(response, "UNSUPPORTED_MEDIA_TYPE", NOT_JSON_MEDIA_TYPE));
		expect(await clerkCalls(orgId)).toEqual([]);
	});

	it("an oversized body with the wrong label → 415, not 413: the label is judged before the body is read", async () => {
		const { response, calls } = await post(
			{ provider: "close", apiKey: "k".repeat(17 * 1024) },
			{ "Content-Type": "text/plain" },
		);
		expect(response.status).toBe(415);
		expect(response.body).toEqual(errorBody(response, "UNSUPPORTED_MEDIA_TYPE", NOT_JSON_MEDIA_TYPE));
		expect(calls).toEqual([]);
	});
});
