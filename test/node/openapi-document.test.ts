import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { buildOpenApiDocument } from "../../scripts/openapi/document.ts";
import { ERROR_STATUS, type ErrorCode } from "../../src/errors/api-error.ts";
import committed from "../../src/openapi/openapi.json" with { type: "json" };
import { contractCheck } from "../support/contract.ts";

// In Node, not workerd: the OpenAPI validator compiles JSON Schemas to code (ajv), which workerd forbids.

type Json = Record<string, unknown>;
interface Media {
	schema: Json;
	examples?: Record<string, { value: unknown }>;
}
const document = committed as unknown as {
	components: {
		schemas: Record<string, Json & { properties?: Record<string, Json>; examples?: unknown[] }>;
		responses: Record<string, { description: string; content: { "application/json": Media } }>;
	};
};

describe("the committed OpenAPI document", () => {
	it("is what the generator makes of the current schemas (else run `npm run openapi`)", () => {
		expect(committed).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
	});

	it("is a valid OpenAPI 3.1 document", async () => {
		const validator = new Validator();
		const result = await validator.validate(structuredClone(committed));
		expect(result.errors ?? []).toEqual([]);
		expect(result.valid).toBe(true);
		expect(validator.version).toBe("3.1");
	});
});

describe("what the document says", () => {
	it("has a response for every error code, with that code's status", () => {
		const documented = Object.values(document.components.responses).map((response) => {
			const { schema } = response.content["application/json"];
			// Narrowed beside `allOf`, never beside a `$ref`, which code generators read alone.
			expect(schema.$ref).toBeUndefined();
			expect(schema.allOf).toEqual([{ $ref: "#/components/schemas/ErrorBody" }]);
			const code = (schema.properties as Record<string, Json>).code?.const as ErrorCode;
			expect(response.description.startsWith(`${ERROR_STATUS[code]} ${code}:`)).toBe(true);
			return code;
		});
		expect(new Set(documented)).toEqual(new Set(Object.keys(ERROR_STATUS)));
	});

	it("describes every field, so a field added to a schema cannot go undocumented", () => {
		const { schemas } = document.components;
		const described = (schema: Json): boolean =>
			typeof schema.description === "string" ||
			(typeof schema.$ref === "string" && described(schemas[schema.$ref.split("/").pop() ?? ""] ?? {}));
		const undescribed = Object.entries(schemas).flatMap(([id, schema]) => [
			...(described(schema) ? [] : [id]),
			...Object.entries(schema.properties ?? {})
				.filter(([, property]) => !described(property))
				.map(([field]) => `${id}.${field}`),
		]);
		expect(undescribed, "describe them in scripts/openapi/schema-docs.ts").toEqual([]);
	});

	it("gives examples that match their own schemas", () => {
		const contract = contractCheck(committed);
		const examples = [
			...Object.entries(document.components.schemas).flatMap(([id, schema]) =>
				(schema.examples ?? []).map((value) => ({ pointer: `/components/schemas/${id}`, value })),
			),
			...Object.entries(document.components.responses).flatMap(([name, response]) =>
				Object.values(response.content["application/json"].examples ?? {}).map(({ value }) => ({
					pointer: `/components/responses/${name}/content/application~1json/schema`,
					value,
				})),
			),
		];
		expect(examples.length).toBeGreaterThan(10);
		for (const { pointer, value } of examples) {
			expect(contract.problems(pointer, value), `${pointer}: ${JSON.stringify(value)}`).toEqual([]);
		}
	});
});
