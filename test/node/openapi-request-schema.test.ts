import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type * as z from "zod/mini";
import {
	saveBullhornApiKeyRequestDoc,
	saveBullhornApiUserOwnClientRequestDoc,
	saveBullhornApiUserRequestDoc,
	saveCloseRequestDoc,
	settingsResponseDoc,
} from "../../scripts/openapi/schema-docs.ts";
import {
	API_KEY_MAX_BYTES,
	apiKeyFormSchema,
	bullhornLoginFormSchema,
	type SettingsResponse,
	saveSettingsRequestSchema,
	settingsResponseSchema,
} from "../../src/crm/schemas.ts";
import committed from "../../src/openapi/openapi.json" with { type: "json" };
import { contractCheck } from "../support/contract.ts";

// The document restates the server's request rules as JSON Schema (scripts/openapi/schema-docs.ts); the
// server validates with its own zod schema. These tests hold the two to the same answer for every body.

type Json = Record<string, unknown>;
const contract = contractCheck(committed);
const REQUEST = "/components/schemas/SaveCrmSettingsRequest";

const serverAccepts = (body: unknown) => saveSettingsRequestSchema.safeParse(body).success;
const documentAccepts = (body: unknown) => contract.problems(REQUEST, body).length === 0;

// Characters on each side of every rule: what trim removes (ECMAScript's `\s`), control (Cc) and
// invisible formatting (Cf) characters, both at once (\t, U+FEFF), neither, and one outside the BMP;
// default-ignorable ones that are not Cf (variation selectors, U+034F, U+17B4, Hangul fillers),
// unassigned code points and noncharacters (Cn), private use (Co), the blank Braille pattern, and
// visible non-ASCII letters beside them (é, a CJK ideograph).
/** The code points of the issue that were once accepted and masked as nothing, one of each kind. */
const INVISIBLE_OR_UNASSIGNED = [
	"\ufe0f",
	"\u034f",
	"\u17b4",
	"\u{e0100}",
	"\u0378",
	"\uffff",
	"\ue000",
	"\u3164",
	"\u115f",
];

const KEY_CHARACTERS = [
	..."aZ9_.-",
	" ",
	"\t",
	"\n",
	"\r",
	"\u000b",
	"\u00a0",
	"\u2028",
	"\u3000",
	"\ufeff",
	"\u0000",
	"\u007f",
	"\u0085",
	"\u200b",
	"\u202e",
	"\u00ad",
	"\u2060",
	"\u180e",
	"😀",
	...INVISIBLE_OR_UNASSIGNED,
	"\u2800",
	"é",
	"\u4e00",
];

const body = fc
	.record(
		{
			provider: fc.constantFrom("close", "bullhorn", "hubspot", "Close", null, 1),
			apiKey: fc.oneof(
				fc.array(fc.constantFrom(...KEY_CHARACTERS), { maxLength: 8 }).map((chars) => chars.join("")),
				fc.constantFrom(null, 42, ["k"]),
			),
			verify: fc.constantFrom(true, false, "true", null, 1),
			extra: fc.constantFrom("x", 1),
		},
		{ requiredKeys: [] },
	)
	.map((record) => record as Json);

describe("the document's SaveCrmSettingsRequest", () => {
	it("accepts exactly the bodies the server accepts", () => {
		fc.assert(
			fc.property(fc.oneof(body, fc.constantFrom(null, [], "body", 1)), (candidate) => {
				expect(documentAccepts(candidate), JSON.stringify(candidate)).toBe(serverAccepts(candidate));
			}),
			{ numRuns: 3000 },
		);
	});

	it.each([
		["the longest key", "k".repeat(API_KEY_MAX_BYTES)],
		["the longest key, with whitespace around it", ` \t${"k".repeat(API_KEY_MAX_BYTES)}\n `],
		["the longest key, with spaces inside", `k${" ".repeat(API_KEY_MAX_BYTES - 2)}k`],
		["a key one too long", "k".repeat(API_KEY_MAX_BYTES + 1)],
		["a key one too long inside whitespace", ` ${"k".repeat(API_KEY_MAX_BYTES + 1)} `],
	])("agrees with the server on %s", (_, apiKey) => {
		for (const provider of ["close", "bullhorn"]) {
			const candidate = { provider, apiKey };
			expect(documentAccepts(candidate)).toBe(serverAccepts(candidate));
		}
	});

	it.each(INVISIBLE_OR_UNASSIGNED.map((character) => [character.codePointAt(0)?.toString(16), character]))(
		"refuses U+%s inside, at either end and alone, as the server does",
		(_, character) => {
			for (const apiKey of [
				`abcd${character}efgh`,
				`${character}abcdefgh`,
				`abcdefgh${character}`,
				character,
			]) {
				for (const provider of ["close", "bullhorn"]) {
					const candidate = { provider, apiKey };
					expect(serverAccepts(candidate), JSON.stringify(candidate)).toBe(false);
					expect(documentAccepts(candidate), JSON.stringify(candidate)).toBe(false);
				}
			}
		},
	);

	it("refuses verify with Bullhorn, as the server does", () => {
		const candidate = { provider: "bullhorn", apiKey: "your-api-key-here", verify: true };
		expect(serverAccepts(candidate)).toBe(false);
		expect(documentAccepts(candidate)).toBe(false);
	});

	it("gives examples that combine into bodies the server accepts", () => {
		const schemas = committed.components.schemas as Record<string, Json>;
		const forms = ((schemas.SaveCrmSettingsRequest?.oneOf ?? []) as { $ref: string }[]).map(
			({ $ref }) => schemas[$ref.split("/").pop() ?? ""] as Json,
		);
		expect(forms).toHaveLength(4);
		for (const form of forms) {
			const properties = form.properties as Record<string, { const?: unknown; examples?: unknown[] }>;
			const fromFieldExamples = Object.fromEntries(
				Object.entries(properties).map(([field, property]) => [
					field,
					property.const ?? property.examples?.[0],
				]),
			);
			expect(serverAccepts(fromFieldExamples), JSON.stringify(fromFieldExamples)).toBe(true);
			for (const example of (form.examples as unknown[]) ?? []) expect(serverAccepts(example)).toBe(true);
		}
		for (const example of (schemas.SaveCrmSettingsRequest?.examples as unknown[]) ?? []) {
			expect(serverAccepts(example), JSON.stringify(example)).toBe(true);
		}
	});

	it("has one form per way to connect, each the server's fields", () => {
		const keyFields = Object.keys(apiKeyFormSchema.shape).sort();
		expect(Object.keys(saveCloseRequestDoc.shape).sort()).toEqual(keyFields);
		expect(Object.keys(saveBullhornApiKeyRequestDoc.shape).sort()).toEqual(keyFields);
		const userFields = Object.keys(bullhornLoginFormSchema.shape).sort();
		expect(Object.keys(saveBullhornApiUserOwnClientRequestDoc.shape).sort()).toEqual(userFields);
		expect(Object.keys(saveBullhornApiUserRequestDoc.shape).sort()).toEqual(
			userFields.filter((field) => field !== "clientId" && field !== "clientSecret"),
		);
	});

	it.each([
		[{ provider: "bullhorn", username: "acme.api", password: " pass word " }, true],
		[{ provider: "bullhorn", username: "acme.api", password: "pw", clientId: "id", clientSecret: "s" }, true],
		[{ provider: "bullhorn", username: "acme.api", password: "pw", clientId: "id" }, false],
		[{ provider: "bullhorn", username: "acme.api", password: "pw", clientSecret: "s" }, false],
		[{ provider: "bullhorn", username: "  ", password: "pw" }, false],
		[{ provider: "bullhorn", username: "acme.api", password: "" }, false],
		[{ provider: "bullhorn", username: "acme.api", password: "pw\u0000" }, false],
		[{ provider: "bullhorn", username: "acme.api", password: "pw", apiKey: "k" }, false],
		[{ provider: "close", username: "acme.api", password: "pw" }, false],
		[{ provider: "bullhorn", username: "a".repeat(257), password: "pw" }, false],
	])("agrees with the server on Bullhorn's form: %j → %s", (body, accepted) => {
		expect(serverAccepts(body)).toBe(accepted);
		expect(documentAccepts(body)).toBe(accepted);
	});
});

describe("the document's CrmSettings", () => {
	it("names every field of the server's response, in one form or the other", () => {
		const [connected, disconnected] = settingsResponseDoc.def.options;
		const documented = new Set([...Object.keys(connected.shape), ...Object.keys(disconnected.shape)]);
		expect([...documented].sort()).toEqual(Object.keys(settingsResponseSchema.shape).sort());
	});

	it("is a narrowing of the server's response type", () => {
		// Type-checked: each documented form is a body the server's type allows.
		const asServerType = (documented: z.infer<typeof settingsResponseDoc>): SettingsResponse => documented;
		expect(asServerType({ connected: false, provider: null, apiKeyMasked: null })).toBeDefined();
	});
});
