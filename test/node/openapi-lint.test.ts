import { describe, expect, it } from "vitest";
import committed from "../../src/openapi/openapi.json" with { type: "json" };

// What redocly.yaml turns off of Redocly's `recommended` rules, checked here instead where it can be.

type Json = Record<string, unknown>;
const document = committed as unknown as Json & {
	components: Record<string, Json>;
	paths: Record<string, Json>;
};

/** Every `$ref` and discriminator mapping target in `node`. */
function references(node: unknown, found = new Set<string>()): Set<string> {
	if (Array.isArray(node)) for (const item of node) references(item, found);
	else if (typeof node === "object" && node !== null) {
		for (const [key, value] of Object.entries(node)) {
			if (key === "$ref" && typeof value === "string") found.add(value);
			else if (key === "mapping" && typeof value === "object" && value !== null) {
				for (const target of Object.values(value)) found.add(String(target));
			} else references(value, found);
		}
	}
	return found;
}

describe("the document's components", () => {
	it("are each referenced, but MethodNotAllowed (the answer to any method an operation does not exist for)", () => {
		const used = references(document);
		const unused = Object.entries(document.components)
			// Security schemes are named in `security` requirements, not referenced with `$ref`.
			.filter(([kind]) => kind !== "securitySchemes")
			.flatMap(([kind, entries]) =>
				Object.keys(entries)
					.map((name) => `#/components/${kind}/${name}`)
					.filter((pointer) => !used.has(pointer)),
			);
		expect(unused).toEqual(["#/components/responses/MethodNotAllowed"]);
	});
});

describe("the document's links", () => {
	it("each name an operation of the document", () => {
		const operationIds = new Set(
			Object.values(document.paths).flatMap((item) =>
				Object.values(item).map((operation) => (operation as Json).operationId),
			),
		);
		const links = Object.values(document.paths).flatMap((item) =>
			Object.values(item).flatMap((operation) =>
				Object.values(((operation as Json).responses as Record<string, Json> | undefined) ?? {}).flatMap(
					(response) => Object.values((response.links as Record<string, Json> | undefined) ?? {}),
				),
			),
		);
		expect(links.length).toBeGreaterThanOrEqual(2);
		for (const link of links) expect(operationIds.has(link.operationId)).toBe(true);
	});
});
