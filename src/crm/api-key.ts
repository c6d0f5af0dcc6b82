import type { Provider } from "./schemas.ts";

/** Keys shorter than this are masked whole: their last 4 characters would give away too much. */
const SHORTEST_KEY_TO_REVEAL_LAST4 = 16;

/**
 * The last 4 characters to keep for display, or null when the secret is too short to show any. For a
 * Close key `api_<id>.<secret>` the id is shown apart (`apiKeyId`), so only the secret part counts:
 * `api_0123456789ab.WXYZ` would otherwise show its id and its whole 4-character secret.
 */
export function visibleLast4(provider: Provider, apiKey: string): string | null {
	const secret = closeKeyParts(provider, apiKey)?.secret ?? apiKey;
	// By code points, so that a character outside the BMP is never cut in half.
	const characters = Array.from(secret);
	return characters.length >= SHORTEST_KEY_TO_REVEAL_LAST4 ? characters.slice(-4).join("") : null;
}

/**
 * The reference's masked form: 20 `*` then the last 4 characters, or 24 `*` when none may be shown.
 *
 * @example
 * maskApiKey("abc1"); // "********************abc1"
 */
export function maskApiKey(last4: string | null): string {
	return last4 === null ? "*".repeat(24) : `${"*".repeat(20)}${last4}`;
}

// Close documents keys as `api_<id>.<secret>`, and the id part as safe to share.
const CLOSE_KEY = /^(api_[A-Za-z0-9]+)\.([A-Za-z0-9]+)$/;

function closeKeyParts(provider: Provider, apiKey: string): { id: string; secret: string } | null {
	const match = provider === "close" ? CLOSE_KEY.exec(apiKey) : null;
	return match ? { id: match[1] as string, secret: match[2] as string } : null;
}

/** The shareable id of a Close key (`api_7b8K…` of `api_7b8K….2H3B…`), or null for other keys. */
export function closeApiKeyId(provider: Provider, apiKey: string): string | null {
	return closeKeyParts(provider, apiKey)?.id ?? null;
}
