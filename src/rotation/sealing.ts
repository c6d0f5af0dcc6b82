/**
 * The census of what seals the stored CRM records, shared by the key-rotation job (its log lines) and
 * the operators' report (`npm run keys:report`). Counted in a `Map`: a key id is whatever an envelope in
 * Clerk metadata says, and `constructor` or `__proto__` must count like any other.
 */
import type { Sealing } from "../crm/record.ts";

/** Records per sealing label: a key id, `plaintext` or `unreadable`. */
export type SealingCounts = Map<string, number>;

export function countSealing(counts: SealingCounts, sealing: Sealing): void {
	if (sealing === null) return;
	const label = typeof sealing === "string" ? sealing : sealing.kid;
	counts.set(label, (counts.get(label) ?? 0) + 1);
}

/** The counts as a JSON object, e.g. `{ k2026: 120, k2025: 3, plaintext: 1 }`. */
export function countsAsObject(counts: SealingCounts): Record<string, number> {
	// fromEntries defines own properties: a `__proto__` label stays a label.
	return Object.fromEntries(counts);
}
