/**
 * `npm run openapi`: writes src/openapi/openapi.json, the OpenAPI document the Worker serves, from the
 * zod schemas, and docs/api-reference.md from that document. `npm run dev` runs it first. `npm test` does
 * not (it would hide a stale document): it fails while the committed one differs from what this writes,
 * and CI runs this and fails when either committed file differs.
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
