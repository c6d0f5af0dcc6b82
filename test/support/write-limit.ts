/**
 * The write limit's window, for tests that spend an organization's allowance. Locally the Workers Rate
 * Limiting binding (miniflare's simulation) counts in windows aligned to the wall clock: a 60 s period
 * restarts at every whole minute, so a run of writes that straddles a minute boundary gets a fresh
 * allowance halfway through and its 11th write is let through.
 */

/** wrangler.toml `[[ratelimits]]` CRM_WRITE_LIMITER `period`. */
const WRITE_LIMIT_PERIOD_MS = 60_000;

/**
 * Runs `sequence` (which must start from a new organization), and runs it once more if it failed while
 * the limiter's window changed under it: such a failure says nothing about the Worker. A sequence takes
 * well under a second, so the second run falls inside one window; a real failure fails both.
 *
 * @example
 * await inOneWriteLimitWindow(async () => {
 *   const token = await tokenFor(await newOrganization());
 *   for (let i = 0; i < 10; i++) await disconnect({ token });
 *   expect((await disconnect({ token })).status).toBe(429);
 * });
 */
export async function inOneWriteLimitWindow(sequence: () => Promise<void>): Promise<void> {
	const window = () => Math.floor(Date.now() / WRITE_LIMIT_PERIOD_MS);
	const started = window();
	try {
		await sequence();
	} catch (error) {
		if (window() === started) throw error;
		await sequence();
	}
}
