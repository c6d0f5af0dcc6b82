/**
 * The battery's fixed seeds and case counts, in one place: every run replays the same cases. A failing
 * property prints its seed and counterexample path; to explore further, change a seed here for a run.
 */
export const BODY_FUZZ = { seed: 0x0b0d1e5, numRuns: 300 } as const;
export const TOKEN_FUZZ = { seed: 0x70c3e2, numRuns: 500 } as const;
/** A failing run is reported as it is: shrinking would replay whole runs of ~430 requests. */
export const CONCURRENCY = { seed: 0xc0ffee, numRuns: 3, endOnFailure: true } as const;
