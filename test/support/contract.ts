/**
 * The contract check: a response must be one the OpenAPI document declares for its path and method —
 * the status listed, each required header present, the body valid against the declared schema. `send()`
 * runs it on every response the suite receives, so the document cannot drift from the code unnoticed.
 *
 * Stricter than the published document in one way: response objects are checked closed (no field the
 * document does not name), while the document leaves them open so that clients tolerate fields added
 * later (docs/contract.md §2). A field the Worker sends must be documented before any test can receive it.
 *
 * `@cfworker/json-schema` interprets schemas instead of compiling them to code, so it runs in workerd,
 * which forbids `new Function`.
 */
import { dereference, type Schema, validate } from "@cfworker/json-schema";

type Json = Record<string, unknown>;

/** What the check needs of a response: what `send()` returns. */
export interface ObservedResponse {
	status: number;
	headers: Headers;
	/** Parsed JSON body, or null when there was none. */
	body: unknown;
}

export interface ContractCheck {
	/** Throws `ContractViolation` unless the document declares `response` for `method` on `url`'s path. */
	response(method: string, url: string, response: ObservedResponse): void;
	/** How `value` fails the schema at JSON pointer `pointer` of the document; empty when it matches. */
	problems(pointer: string, value: unknown): string[];
}

export class ContractViolation extends Error {
	constructor(message: string) {
		super(message);
		this.name = "ContractViolation";
	}
}

// The document's base URI for `$ref` resolution; nothing is ever fetched from it.
const DOCUMENT_URI = "https://openapi.invalid/document.json";

/**
 * Builds the contract check of one OpenAPI 3.1 document.
 *
 * @example
 * const contract = contractCheck(document);
 * contract.response("GET", "https://crm.example.com/api/v1/operations/crm/settings", received);
 */
export function contractCheck(document: object): ContractCheck {
	const doc = closeObjects(structuredClone(document)) as Json & { paths: Record<string, Json> };
	// Registers every subschema under DOCUMENT_URI#<pointer>, so `#/components/...` refs resolve.
	const lookup = dereference({ ...(doc as Schema), $id: DOCUMENT_URI });

	const resolve = (value: unknown): Json => {
		const ref = (value as Json).$ref;
		if (typeof ref !== "string") return value as Json;
		return resolve(ref.slice(2).split("/").map(unescapePointer).reduce<unknown>(child, doc));
	};
	const problemsOf = (schema: unknown, value: unknown): string[] => {
		const result = validate(value, schema as Schema, "2020-12", lookup, false);
		return result.errors
			.filter((error) => !error.error.startsWith("A subschema had errors"))
			.map((error) => `${error.instanceLocation}: ${error.error}`);
	};

	function declaredResponse(method: string, path: string, status: number): Json {
		const where = `${method} ${path} answered ${status}`;
		const template = Object.keys(doc.paths).find((candidate) => pathPattern(candidate).test(path));
		const pathItem = template === undefined ? undefined : doc.paths[template];
		// Hono answers HEAD with the GET handler, without the body.
		const operation = pathItem?.[method === "HEAD" && !pathItem.head ? "get" : method.toLowerCase()];
		if (operation === undefined) {
			// The document's rule for what it does not list: the shared 404 and 405 responses.
			const [name, expected] = pathItem === undefined ? ["NotFound", 404] : ["MethodNotAllowed", 405];
			if (status !== expected) {
				const what = pathItem === undefined ? "a path it does not list" : "a method the path does not offer";
				throw new ContractViolation(`${where}, but the OpenAPI document says ${what} answers ${expected}`);
			}
			return resolve({ $ref: `#/components/responses/${name}` });
		}
		const responses = (operation as Json).responses as Json;
		const declared = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
		if (declared === undefined) {
			throw new ContractViolation(
				`${where}, a status the OpenAPI document does not declare for it (declared: ${Object.keys(responses).join(", ")})`,
			);
		}
		return resolve(declared);
	}

	return {
		response(method, url, received) {
			const path = new URL(url).pathname;
			const where = `${method} ${path} answered ${received.status}`;
			const declared = declaredResponse(method, path, received.status);

			for (const [name, header] of Object.entries((declared.headers as Json | undefined) ?? {})) {
				if (resolve(header).required === true && !received.headers.has(name)) {
					throw new ContractViolation(`${where} without the ${name} header the OpenAPI document requires`);
				}
			}

			const content = declared.content as Record<string, Json> | undefined;
			if (method === "HEAD" || content === undefined) {
				if (received.body !== null) {
					throw new ContractViolation(`${where} with a body where the OpenAPI document declares none`);
				}
				return;
			}
			const mediaType = received.headers.get("Content-Type")?.split(";")[0]?.trim() ?? "";
			const media = content[mediaType];
			if (media === undefined) {
				throw new ContractViolation(
					`${where} with Content-Type "${mediaType}"; the OpenAPI document declares ${Object.keys(content).join(", ")}`,
				);
			}
			const problems = problemsOf(media.schema, received.body);
			if (problems.length > 0) {
				throw new ContractViolation(
					`${where} with a body that does not match the OpenAPI document:\n  ${problems.join("\n  ")}\nbody: ${JSON.stringify(received.body)}`,
				);
			}
		},

		problems(pointer, value) {
			const schema = lookup[`${DOCUMENT_URI}#${pointer}`];
			if (schema === undefined) throw new Error(`No schema at ${pointer} in the OpenAPI document`);
			return problemsOf(schema, value);
		},
	};
}

function child(node: unknown, key: string): unknown {
	return (node as Json)[key];
}

function unescapePointer(segment: string): string {
	return segment.replace(/~1/g, "/").replace(/~0/g, "~");
}

function pathPattern(template: string): RegExp {
	const escaped = template.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\\\{[^}]+\\\}/g, "[^/]+");
	return new RegExp(`^${escaped}$`);
}

/** Adds `unevaluatedProperties: false` to every schema that lists properties and says nothing of others. */
function closeObjects(node: unknown): unknown {
	if (Array.isArray(node)) node.forEach(closeObjects);
	else if (typeof node === "object" && node !== null) {
		const object = node as Json;
		for (const value of Object.values(object)) closeObjects(value);
		const listsProperties = typeof object.properties === "object";
		if (
			listsProperties &&
			object.additionalProperties === undefined &&
			object.unevaluatedProperties === undefined
		) {
			object.unevaluatedProperties = false;
		}
	}
	return node;
}
