/** Standard base64 (RFC 4648 §4) for byte arrays, on the runtime's `atob`/`btoa`. */

/** The bytes of `text`, or null when it is not padded base64. */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> | null {
	if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
	const binary = atob(text);
	return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** Base64 of `bytes`. */
export function encodeBase64(bytes: Uint8Array): string {
	return btoa(String.fromCharCode(...bytes));
}
