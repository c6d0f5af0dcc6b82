/**
 * Clerk's metadata merge, as its Backend API documents for `PATCH …/metadata`: objects merge key by
 * key at every depth, a `null` value deletes its key, anything else (arrays included) replaces.
 */
export type Metadata = Record<string, unknown>;

export function mergeMetadata(current: Metadata, patch: Metadata): Metadata {
	const merged: Metadata = { ...current };
	for (const [key, value] of Object.entries(patch)) {
		if (value === null) delete merged[key];
		else if (isPlainObject(value))
			merged[key] = mergeMetadata(isPlainObject(merged[key]) ? merged[key] : {}, value);
		else merged[key] = value;
	}
	return merged;
}

export function isPlainObject(value: unknown): value is Metadata {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}
