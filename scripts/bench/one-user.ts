/**
 * Latency as one user sees it: one keep-alive connection, one request at a time, so nothing queues
 * behind other requests. Each request's time is taken with `performance.now()` (autocannon rounds to
 * whole milliseconds, too coarse for a read answered in a few).
 */
import { Agent, request } from "node:http";
import type { Scenario } from "./load.ts";

export interface OneUserResult {
	requests: number;
	/** Every request's time, in milliseconds. */
	latenciesMs: number[];
	/** Non-2xx answers and failed requests; the bench fails unless it is 0. */
	errors: number;
	statusCodes: Record<string, number>;
}

/**
 * Sends `scenario`'s requests to `baseUrl` one after another for `seconds` (or until `maxRequests`).
 *
 * @example
 * const result = await runOneUser(url, scenario, 3);
 */
export async function runOneUser(
	baseUrl: string,
	scenario: Scenario,
	seconds: number,
): Promise<OneUserResult> {
	const agent = new Agent({ keepAlive: true, maxSockets: 1 });
	const url = new URL(scenario.path, baseUrl);
	const latenciesMs: number[] = [];
	const statusCodes: Record<string, number> = {};
	let errors = 0;
	const deadline = performance.now() + seconds * 1000;
	try {
		while (performance.now() < deadline && latenciesMs.length < (scenario.maxRequests ?? Infinity)) {
			const started = performance.now();
			const status = await send(agent, url, scenario).catch(() => 0);
			latenciesMs.push(performance.now() - started);
			statusCodes[status] = (statusCodes[status] ?? 0) + 1;
			if (status < 200 || status > 299) errors++;
		}
	} finally {
		agent.destroy();
	}
	return { requests: latenciesMs.length, latenciesMs, errors, statusCodes };
}

/** One request; resolves with its status once the whole body has arrived. */
function send(agent: Agent, url: URL, scenario: Scenario): Promise<number> {
	return new Promise((resolve, reject) => {
		const outgoing = request(
			url,
			{
				agent,
				method: scenario.method,
				headers: {
					...scenario.headers(),
					...(scenario.body === undefined
						? {}
						: { "content-type": "application/json", "content-length": Buffer.byteLength(scenario.body) }),
				},
			},
			(response) => {
				response.on("data", () => {});
				response.on("end", () => resolve(response.statusCode ?? 0));
				response.on("error", reject);
			},
		);
		outgoing.on("error", reject);
		outgoing.end(scenario.body);
	});
}

/** The `p`-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: number[], p: number): number {
	if (values.length === 0) return Number.NaN;
	const sorted = [...values].sort((a, b) => a - b);
	const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
	return sorted[rank - 1] as number;
}
