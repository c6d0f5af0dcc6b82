/**
 * The per-organization write limit, counted by the organization's owner: one count for the whole
 * network, exact, where a rate-limiting binding counts per Cloudflare location, approximately. Ten
 * writes a minute is generous for an admin and a cap on what a leaked admin token or a looping client
 * can do to the organization's Clerk metadata (and to Clerk's 10 writes per 10 s per organization).
 */

export const WRITES_PER_WINDOW = 10;
export const WRITE_WINDOW_MS = 60_000;

export type WriteAdmission =
	| { admitted: true; times: number[] }
	| { admitted: false; retryAfterSeconds: number };

/**
 * Admits one more write at `now`, given the times of the writes admitted before (a sliding window):
 * the times to keep, or how long until the oldest write in the window leaves it.
 *
 * @example
 * admitWrite([], Date.now()); // { admitted: true, times: [now] }
 */
export function admitWrite(times: readonly number[], now: number): WriteAdmission {
	const inWindow = times.filter((time) => time > now - WRITE_WINDOW_MS && time <= now);
	if (inWindow.length < WRITES_PER_WINDOW) return { admitted: true, times: [...inWindow, now] };
	const oldest = Math.min(...inWindow);
	return {
		admitted: false,
		retryAfterSeconds: Math.max(1, Math.ceil((oldest + WRITE_WINDOW_MS - now) / 1000)),
	};
}
