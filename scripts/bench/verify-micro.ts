/**
 * The per-request cost of session-token verification alone, measured inside workerd: the benchmark's
 * verify Worker runs `authenticate` n times per request; the cost of one call is the difference to an
 * empty request, divided by n. Reports the median of several runs, and their minimum: on a shared
 * machine the other processes only ever add time, so the fastest run is closest to the code's own cost.
 */
import { median, round } from "./load.ts";

export interface VerifyResult {
	/** Cost of one `authenticate` call with a valid token, in microseconds: median over runs. */
	microsecondsPerVerify: number;
	/** The fastest run. */
	fastestMicroseconds: number;
	/** Every run's figure, in run order. */
	runs: number[];
	iterationsPerRun: number;
}

/**
 * Times `authenticate` in the verify Worker at `url` with `token` (which must verify).
 *
 * @example
 * const { microsecondsPerVerify } = await measureVerify(dev.url, token);
 */
export async function measureVerify(
	url: string,
	token: string,
	{ iterations = 2000, runs = 9 } = {},
): Promise<VerifyResult> {
	const timed = async (n: number) => {
		const started = performance.now();
		const response = await fetch(`${url}/?n=${n}`, { headers: { Authorization: `Bearer ${token}` } });
		const { verified } = (await response.json()) as { verified: number };
		if (verified !== n) throw new Error(`verify bench: ${verified} of ${n} tokens verified`);
		return performance.now() - started;
	};
	await timed(iterations); // warm-up: JIT, and the key import where it is cached
	const perCall: number[] = [];
	for (let run = 0; run < runs; run++) {
		// The fastest of three empty requests: one stalled request as the baseline made a run negative.
		const empty = Math.min(await timed(0), await timed(0), await timed(0));
		const full = await timed(iterations);
		perCall.push(round(((full - empty) * 1000) / iterations, 1));
	}
	return {
		microsecondsPerVerify: round(median(perCall), 1),
		fastestMicroseconds: Math.min(...perCall),
		runs: perCall,
		iterationsPerRun: iterations,
	};
}
