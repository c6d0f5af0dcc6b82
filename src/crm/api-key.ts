import type { Provider } from "./schemas.ts";

/** Keys shorter than this are masked whole: their last 4 characters would give away too much. */
const SHORTEST_KEY_TO_REVEAL_LAST4 = 16;

/** The last 4 characters to keep for display, or null when the key is too short to show any. */
export function visibleLast4(apiKey: string): string | null {
	// By code points, so that a character outside the BMP is never cut in half.
	const characters = Array.from(apiKey);
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
const CLOSE_KEY = /^(api_[A-Za-z0-9]+)\.[A-Za-z0-9]+$/;

/** The shareable id of a Close key (`api_7b8K…` of `api_7b8K….2H3B…`), or null for other keys. */
export function closeApiKeyId(provider: Provider, apiKey: string): string | null {
	return provider === "close" ? (CLOSE_KEY.exec(apiKey)?.[1] ?? null) : null;
}
