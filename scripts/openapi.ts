/**
 * `npm run openapi`: writes src/openapi/openapi.json, the OpenAPI document the Worker serves, from the
 * zod schemas, and docs/api-reference.md from that document. `npm test` runs it first; CI runs it and
 * fails when the committed files differ from what it writes.
 */
import { writeFileSync } from "node:fs";
import { buildOpenApiDocument } from "./openapi/document.ts";
import { renderApiReference } from "./render-api-reference.ts";

const document = buildOpenApiDocument();
const outputs = {
	"src/openapi/openapi.json": `${JSON.stringify(document, null, "\t")}\n`,
	"docs/api-reference.md": renderApiReference(document),
};
for (const [path, text] of Object.entries(outputs)) {
	writeFileSync(new URL(`../${path}`, import.meta.url), text);
	console.log(`Wrote ${path}`);
}
