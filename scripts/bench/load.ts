/**
 * One load run of `npm run bench`: autocannon with a fixed number of connections for a fixed time.
 * Throughput is counted from the responses themselves: autocannon's own figure would include up to a
 * second of idle time when a run ends early at `maxRequests`.
 */
import type autocannonModule from "../../bench/node_modules/@types/autocannon/index.d.ts";
import { benchRequire } from "./dependencies.ts";

type Autocannon = typeof autocannonModule;
// bench/'s own dependency (bench/package.json), loaded from there on first use: `npm run bench` installs
// it before the first load run, and the product's install does not carry it.
let autocannon: Autocannon | undefined;
const loadAutocannon = (): Autocannon => {
	autocannon ??= benchRequire("autocannon") as Autocannon;
	return autocannon;
};

export interface Scenario {
	name: string;
	method: "GET" | "POST" | "DELETE";
	path: string;
	/** Headers of the next request; called once per request (tokens rotate over organizations). */
	headers: () => Record<string, string>;
	body?: string;
	/** Stop after this many requests even if time is left (keeps per-organization write counts bounded). */
	maxRequests?: number;
}

export interface LoadResult {
	/** Responses received. */
	requests: number;
	/** Requests sent, including those still unanswered when the run ended (their work still happens). */
	sent: number;
	requestsPerSecond: number;
	latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
	/** Connection errors, timeouts and non-2xx answers together; the bench fails unless it is 0. */
	errors: number;
	statusCodes: Record<string, number>;
	/** Whether `maxRequests` ended the run before its time was up. */
	capped: boolean;
}

/**
 * Sends `scenario`'s requests to `baseUrl` over `connections` keep-alive connections for `seconds`.
 *
 * @example
 * const result = await runLoad(url, { name: "health", method: "GET", path: "/api/v1/health", headers: () => ({}) }, 8, 4);
 */
export async function runLoad(
	baseUrl: string,
	scenario: Scenario,
	connections: number,
	seconds: number,
): Promise<LoadResult> {
	const withBody = scenario.body !== undefined;
	const options: autocannonModule.Options = {
		url: `${baseUrl}${scenario.path}`,
		connections,
		duration: seconds,
		...(scenario.maxRequests === undefined ? {} : { maxOverallRequests: scenario.maxRequests }),
		requests: [
			{
				method: scenario.method,
				...(withBody ? { body: scenario.body } : {}),
				setupRequest: (request) => ({
					...request,
					headers: { ...scenario.headers(), ...(withBody ? { "content-type": "application/json" } : {}) },
				}),
			},
		],
	};

	let responses = 0;
	let lastResponseAt = 0;
	const startedAt = performance.now();
	const result = await new Promise<autocannonModule.Result>((resolve, reject) => {
		const instance = loadAutocannon()(options, (error, done) => (error ? reject(error) : resolve(done)));
		instance.on("response", () => {
			responses++;
			lastResponseAt = performance.now();
		});
	});

	const elapsedMs = Math.max(lastResponseAt - startedAt, 1);
	return {
		requests: responses,
		sent: (result.requests as { sent?: number }).sent ?? responses,
		requestsPerSecond: round((responses / elapsedMs) * 1000, 0),
		latencyMs: {
			p50: result.latency.p50,
			p90: result.latency.p90,
			p99: result.latency.p99,
			mean: round(result.latency.average, 2),
			max: result.latency.max,
		},
		errors: result.errors + result.non2xx,
		statusCodes: Object.fromEntries(
			Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count ?? 0]),
		),
		capped: scenario.maxRequests !== undefined && responses >= scenario.maxRequests,
	};
}

export function round(value: number, digits: number): number {
	const factor = 10 ** digits;
	return Math.round(value * factor) / factor;
}

export function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	if (sorted.length % 2 === 1) return sorted[middle] as number;
	return ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
