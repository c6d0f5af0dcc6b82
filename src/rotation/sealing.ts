/**
 * What seals a stored CRM record: shared by the key-rotation job (what to re-seal) and the operators'
 * report (`npm run keys:report`: how many records each key id still seals).
 */

import { storedRecordSchema } from "../crm/schemas.ts";
import { apiKeyEnvelopeSchema } from "../crypto/api-key-envelope.ts";

/**
 * A record's sealing: the id of the key that sealed its envelope; `plaintext` for a key stored
 * without a ring; `unreadable` for something that is not a CRM record. Null when nothing is connected.
 */
export type Sealing = { kid: string } | "plaintext" | "unreadable" | null;

/** The sealing of `crm`, the value of an organization's `private_metadata.crm`. */
export function sealingOf(crm: unknown): Sealing {
	if (crm === undefined || crm === null) return null;
	const record = storedRecordSchema.safeParse(crm);
	if (!record.success) return "unreadable";
	if (typeof record.data.apiKey === "string") return "plaintext";
	return { kid: apiKeyEnvelopeSchema.parse(record.data.apiKey).kid };
}

/** The name a sealing is counted under: its key id, or `plaintext` / `unreadable`. */
function sealingLabel(sealing: Exclude<Sealing, null>): string {
	return typeof sealing === "string" ? sealing : sealing.kid;
}

/** Records per sealing label, e.g. `{ k2026: 120, k2025: 3, plaintext: 1 }`. */
export type SealingCounts = Record<string, number>;

export function countSealing(counts: SealingCounts, sealing: Sealing): void {
	if (sealing === null) return;
	const label = sealingLabel(sealing);
	counts[label] = (counts[label] ?? 0) + 1;
}
