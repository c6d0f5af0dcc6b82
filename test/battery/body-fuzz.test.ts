/**
 * Property: whatever body, content type and headers an admin's POST carries, the Worker answers 200 for
 * a valid body and otherwise the one error shape with the right 4xx — never a 5xx — and Clerk hears of
 * the request only when the body was valid. The oracle below is written from docs/contract.md §2-§3, not from src/.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ApiResponse, expectErrorShape, SETTINGS_URL } from "../support/api.ts";
import { clerkCalls, organizationSupply } from "../support/emulator.ts";
import { watchForLeaks } from "../support/leaks.ts";
import { tokenFor } from "../support/tokens.ts";
import { BODY_FUZZ } from "./seeds.ts";

const MAX_BODY_BYTES = 16 * 1024;
/** In UTF-8 bytes, what Clerk counts (docs/contract.md §2). */
const MAX_KEY_BYTES = 2048;
const PROVIDERS = ["close", "bullhorn"];
/** In every generated key and field value; never in a field name (those are echoed in `details`). */
const CANARY = "canary-5d1e-9b7a-body";
// `verify` is a field of its own (docs/contract.md §6): kept out of the random unknown fields.
const KNOWN_FIELDS = ["provider", "apiKey", "verify"];

type Outcome =
	| { status: 200; provider: string; apiKey: string }
	| { status: 400 | 413 | 415; code: string; error: string; detailPaths?: string[] };

// RFC 9110 §5.6.2 tokens and §5.6.4 quoted strings, for the parameters of a Content-Type.
const TCHARS = "[!#$%&'*+.^_`|~0-9A-Za-z-]";
const STEP = new RegExp(
	`^[ \\t]*;[ \\t]*(?:(${TCHARS}+)=(?:"((?:[\\t !#-\\[\\]-~\\x80-\\xff]|\\\\[\\t -~\\x80-\\xff])*)"|(${TCHARS}+)))?`,
);

/**
 * docs/contract.md §2: `application/json`, and no parameter but `charset=utf-8` (case-insensitive, the
 * value may be quoted); parameters as RFC 9110 §5.6.6 writes them, empty ones included. Read one
 * `;`-step at a time, so a `;` inside a quoted value does not split it.
 */
function isJsonUtf8(contentType: string | null): boolean {
	const value = contentType?.trim() ?? "";
	if (!/^application\/json/i.test(value)) return false;
	let rest = value.slice("application/json".length);
	const parameters: string[] = [];
	while (rest !== "") {
		const step = STEP.exec(rest);
		if (step === null || step[0] === "") return false;
		const [whole, name, quoted, token] = step;
		if (name !== undefined)
			parameters.push(`${name}=${quoted?.replace(/\\(.)/g, "$1") ?? token}`.toLowerCase());
		rest = rest.slice(whole.length);
	}
	return parameters.length === 0 || (parameters.length === 1 && parameters[0] === "charset=utf-8");
}

/** What docs/contract.md §2-§3 says the Worker must answer to this content type and these body bytes. */
function expectedOutcome(contentType: string | null, bytes: Uint8Array): Outcome {
	if (!isJsonUtf8(contentType)) {
		return {
			status: 415,
			code: "UNSUPPORTED_MEDIA_TYPE",
			error: "Request body must be JSON: send Content-Type: application/json (charset utf-8, if any)",
		};
	}
	if (bytes.length > MAX_BODY_BYTES) {
		return {
			status: 413,
			code: "PAYLOAD_TOO_LARGE",
			error: `Request body must be at most ${MAX_BODY_BYTES} bytes`,
		};
	}
	let body: unknown;
	try {
		body = JSON.parse(new TextDecoder().decode(bytes));
	} catch {
		return { status: 400, code: "VALIDATION_ERROR", error: "Request body is not valid JSON" };
	}
	const invalid = (detailPaths: string[]): Outcome => ({
		status: 400,
		code: "VALIDATION_ERROR",
		error: "Request body is invalid",
		detailPaths: [...new Set(detailPaths)].sort(),
	});
	if (typeof body !== "object" || body === null || Array.isArray(body)) return invalid([""]);

	const fields = body as Record<string, unknown>;
	const paths = Object.keys(fields).filter((name) => name !== "provider" && name !== "apiKey");
	const provider = fields.provider;
	if (typeof provider !== "string" || !PROVIDERS.includes(provider)) paths.push("provider");
	const apiKey = typeof fields.apiKey === "string" ? fields.apiKey.trim() : undefined;
	const keyIsValid =
		apiKey !== undefined &&
		apiKey.length >= 1 &&
		new TextEncoder().encode(apiKey).byteLength <= MAX_KEY_BYTES &&
		// Control, invisible formatting, default-ignorable, lone surrogate, private-use, unassigned and the
		// blank Braille pattern (contract §2).
		!/[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\p{Cs}\p{Co}\p{Cn}\u2800]/u.test(apiKey);
	if (!keyIsValid) paths.push("apiKey");
	if (paths.length > 0) return invalid(paths);
	return { status: 200, provider: provider as string, apiKey: apiKey as string };
}

// ---- generators -------------------------------------------------------------------------------------

const whitespace = fc.constantFrom("", " ", "  ", "\t", "\n", "\u00a0", " \r\n ", "\u2003");

const validKey = fc
	.tuple(
		whitespace,
		fc.string({ unit: "grapheme-ascii", maxLength: 24 }),
		fc.string({ unit: "grapheme", maxLength: 6 }),
		fc.string({ unit: "grapheme-ascii", maxLength: 24 }),
		whitespace,
	)
	.map(([before, head, unicode, tail, after]) => `${before}${head}${unicode}${CANARY}${tail}${after}`);

const invalidKey = fc.oneof(
	fc.constantFrom("", "   ", "\t\n", "\u00a0\u2003"),
	fc
		.tuple(fc.string({ maxLength: 8 }), fc.constantFrom("\u0000", "\u0007", "\u001b", "\u007f", "\u0085"))
		.map(([head, control]) => `${head}${control}${CANARY}`),
	// Characters that draw as nothing or mean nothing: variation selectors, the combining grapheme joiner,
	// a Khmer inherent vowel, a Hangul filler, unassigned, noncharacter, private-use.
	fc
		.tuple(
			fc.constantFrom("\uFE0F", "\u034F", "\u17B4", "\u{E0100}", "\u3164", "\u0378", "\uFFFF", "\uE000"),
			fc.nat(3),
		)
		.map(([invisible, at]) => [CANARY.slice(0, at), invisible, CANARY.slice(at)].join("")),
	fc.constantFrom<unknown>(42, null, true, [CANARY], { key: CANARY }, {}),
);

/**
 * Keys of exactly the limit and around it, in bytes: ASCII, or padded with a character of 2, 3 or 4
 * bytes in UTF-8 (fewer characters than bytes: a cap on characters would let them through).
 */
const boundaryKey = fc
	.tuple(fc.integer({ min: MAX_KEY_BYTES - 2, max: MAX_KEY_BYTES + 2 }), fc.constantFrom("k", "é", "€", "😀"))
	.map(([bytes, pad]) => {
		const padBytes = new TextEncoder().encode(pad).byteLength;
		const rest = bytes - CANARY.length;
		return `${pad.repeat(Math.floor(rest / padBytes))}${"k".repeat(rest % padBytes)}${CANARY}`;
	});

const provider = fc.oneof(
	{ weight: 4, arbitrary: fc.constantFrom(...PROVIDERS) },
	{
		weight: 1,
		arbitrary: fc.constantFrom<unknown>("Close", "BULLHORN", " close", "close ", "hubspot", "", null, 1, [
			"close",
		]),
	},
);

const fieldName = fc
	.oneof(
		fc.constantFrom("orgId", "organization_id", "__proto__", "constructor", "apikey", "Provider", ""),
		fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 10 }),
	)
	.filter((name) => !KNOWN_FIELDS.includes(name));

const extraFields = fc.dictionary(
	fieldName,
	fc.constantFrom<unknown>(CANARY, 1, null, [CANARY], { orgId: CANARY }),
	{
		maxKeys: 2,
	},
);

/** Objects shaped like the request body: mostly valid, with one or more fields gone wrong. */
const bodyObject = fc
	.record(
		{
			provider,
			apiKey: fc.oneof({ weight: 5, arbitrary: validKey }, invalidKey, boundaryKey),
			extra: fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, extraFields),
		},
		{ requiredKeys: ["extra"] },
	)
	.map(({ extra, ...fields }) => ({ ...extra, ...fields }) as Record<string, unknown>);

const serialized = fc
	.tuple(bodyObject, fc.constantFrom<undefined | number | string>(undefined, 2, "\t"), fc.boolean())
	.map(([body, indent, bom]) => `${bom ? "\uFEFF" : ""}${JSON.stringify(body, null, indent)}`);

/** A valid body padded with whitespace to about the size limit. */
const nearLimit = fc
	.tuple(validKey, fc.integer({ min: MAX_BODY_BYTES - 3, max: MAX_BODY_BYTES + 3 }))
	.map(([apiKey, size]) => {
		const json = JSON.stringify({ provider: "close", apiKey });
		const padding = " ".repeat(Math.max(0, size - new TextEncoder().encode(json).length));
		return `${json.slice(0, -1)}${padding}}`;
	});

/**
 * Up to 40 arbitrary code points, lone surrogates included. Not `fc.string({ unit: "binary" })`: to build
 * its "dangerous strings" fast-check maps all 1.1M code points first, about 1 s of every run.
 */
const anyCodePoints = fc
	.array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength: 40 })
	.map((codePoints) => String.fromCodePoint(...codePoints));

const body = fc.oneof(
	{ weight: 10, arbitrary: serialized },
	{ weight: 1, arbitrary: serialized.chain((text) => fc.nat(text.length).map((cut) => text.slice(0, cut))) },
	{ weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value) ?? "") },
	{ weight: 1, arbitrary: anyCodePoints },
	{ weight: 1, arbitrary: fc.uint8Array({ maxLength: 48 }) },
	{ weight: 1, arbitrary: nearLimit },
	{ weight: 1, arbitrary: fc.constant(undefined) },
);

const contentType = fc.oneof(
	{
		weight: 12,
		arbitrary: fc.constantFrom(
			"application/json",
			"application/json; charset=utf-8",
			"Application/JSON",
			'application/json;charset="utf-8"',
			"application/json;",
			" application/json ;charset=UTF-8",
		),
	},
	{
		weight: 1,
		arbitrary: fc.constantFrom(
			"text/plain",
			"text/json",
			"application/x-www-form-urlencoded",
			"multipart/form-data; boundary=x",
			"application/jsonx",
			"application/json5",
			"application/vnd.api+json",
			"application/merge-patch+json",
			"application/json; charset=utf-16",
			"application/json; charset=latin1",
			"application/json; charset=utf-8; profile=x",
			'application/json; charset="utf-8;x"',
			"application/json; charset = utf-8",
			"json",
			"*/*",
			"",
		),
	},
	{
		weight: 1,
		arbitrary: fc.stringMatching(/^[a-z]{1,11}\/[a-z0-9.+-]{1,12}(; ?[a-z]{1,7}=[a-z0-9-]{1,7})?$/),
	},
	{ weight: 1, arbitrary: fc.constant(null) },
);

/** Headers a client might add; none may change the outcome (the organization comes from the token). */
const extraHeaders = fc.dictionary(
	fc.oneof(
		fc.constantFrom(
			"Accept",
			"Accept-Encoding",
			"Content-Encoding",
			"Transfer-Encoding",
			"Origin",
			"Cookie",
			"X-Request-Id",
			"X-Org-Id",
			"X-Forwarded-For",
		),
		fc.stringMatching(/^X-[A-Za-z0-9-]{1,12}$/),
	),
	fc.stringMatching(/^[!-~]{0,40}$/),
	{ maxKeys: 3 },
);

// ---- the property -----------------------------------------------------------------------------------

describe("POST with arbitrary bodies, content types and headers", () => {
	it("answers 200 for a valid body, else the one error shape with a 4xx; Clerk hears only of valid ones", async () => {
		const watch = watchForLeaks();
		watch.secret(CANARY);
		let accepted = 0;
		const nextOrganization = organizationSupply();

		await fc.assert(
			fc.asyncProperty(body, contentType, extraHeaders, async (payload, type, headers) => {
				const orgId = await nextOrganization();
				const request = new Request(SETTINGS_URL, {
					method: "POST",
					headers: {
						...headers,
						...(type === null ? {} : { "Content-Type": type }),
						Authorization: `Bearer ${await tokenFor(orgId, { userId: "user_fuzz" })}`,
					},
					...(payload === undefined ? {} : { body: payload }),
				});
				const bytes =
					typeof payload === "string" ? new TextEncoder().encode(payload) : (payload ?? new Uint8Array());
				const expected = expectedOutcome(request.headers.get("Content-Type"), bytes);

				const response = await watch.send(request);
				expect(response.status).toBeLessThan(500);
				expect(response.headers.get("Cache-Control")).toBe("no-store");
				const calls = await clerkCalls(orgId);
				if (expected.status === 200) {
					accepted++;
					expectSaved(response, calls, expected);
				} else {
					expectRefused(response, expected);
					expect(calls).toEqual([]);
				}
				watch.expectNoLeaks();
			}),
			BODY_FUZZ,
		);
		// The generators must reach the valid path often enough for "written only when valid" to mean much.
		expect(accepted).toBeGreaterThan(BODY_FUZZ.numRuns / 10);
	});
});

function expectSaved(
	response: ApiResponse,
	calls: Awaited<ReturnType<typeof clerkCalls>>,
	expected: Extract<Outcome, { status: 200 }>,
) {
	expect(response.status).toBe(200);
	expect(response.body).toEqual({
		success: true,
		provider: expected.provider,
		connectedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
	});
	// The stored apiKey may be plaintext or an envelope (CRM_ENCRYPTION_KEYS); what GET shows is not.
	expect(calls).toEqual([
		expect.objectContaining({
			method: "PATCH",
			body: {
				private_metadata: {
					crm: expect.objectContaining({
						provider: expected.provider,
						apiKeyLast4: expected.apiKey.length >= 16 ? expected.apiKey.slice(-4) : null,
						connectedAt: (response.body as { connectedAt: string }).connectedAt,
						connectedBy: "user_fuzz",
					}),
				},
			},
		}),
	]);
}

function expectRefused(response: ApiResponse, expected: Exclude<Outcome, { status: 200 }>) {
	expect(response.status).toBe(expected.status);
	expectErrorShape(response);
	expect(response.body).toMatchObject({ code: expected.code, error: expected.error });
	const details = (response.body as { details?: { path: string }[] }).details;
	if (expected.detailPaths === undefined) expect(details).toBeUndefined();
	else expect([...new Set(details?.map((detail) => detail.path))].sort()).toEqual(expected.detailPaths);
}
