/**
 * Turns the benchmark's rounds into the figures it reports: per scenario the median over rounds, and
 * per settings operation its ratio to the baseline measured in the same round (the median of those
 * ratios), which stays comparable when the machine's speed drifts during the run.
 */
import type { LoadResult, Scenario } from "./load.ts";
import { median, round } from "./load.ts";

export interface ScenarioSummary {
	name: string;
	method: string;
	path: string;
	/** Medians over the rounds. */
	requestsPerSecond: number;
	latencyMs: { p50: number; p99: number };
	requests: number;
	errors: number;
	/** Against the baseline of the same round, median over rounds; absent for the baseline itself. */
	vsBaseline?: {
		/** Share of the baseline's throughput: 0.5 = half as many requests per second. */
		throughput: number;
		/** Multiple of the baseline's latency: 2 = twice as long. */
		p50: number;
		p99: number;
	};
	rounds: LoadResult[];
}

/**
 * Summarizes `rounds` (each maps a scenario name to its result) against the scenario named `baselineName`.
 *
 * @example
 * summarizeScenarios(plan, rounds, "baseline GET /api/v1/health");
 */
export function summarizeScenarios(
	plan: Scenario[],
	rounds: Map<string, LoadResult>[],
	baselineName: string,
): ScenarioSummary[] {
	const resultsOf = (name: string) => rounds.map((round) => round.get(name) as LoadResult);
	const baseline = resultsOf(baselineName);
	return plan.map((scenario) => {
		const results = resultsOf(scenario.name);
		const perRound = (pick: (result: LoadResult, base: LoadResult) => number) =>
			round(median(results.map((result, i) => pick(result, baseline[i] as LoadResult))), 2);
		return {
			name: scenario.name,
			method: scenario.method,
			path: scenario.path,
			requestsPerSecond: round(median(results.map((result) => result.requestsPerSecond)), 0),
			latencyMs: {
				p50: median(results.map((result) => result.latencyMs.p50)),
				p99: median(results.map((result) => result.latencyMs.p99)),
			},
			requests: results.reduce((sum, result) => sum + result.requests, 0),
			errors: results.reduce((sum, result) => sum + result.errors, 0),
			...(scenario.name === baselineName
				? {}
				: {
						vsBaseline: {
							throughput: perRound((result, base) => result.requestsPerSecond / base.requestsPerSecond),
							p50: perRound((result, base) => result.latencyMs.p50 / base.latencyMs.p50),
							p99: perRound((result, base) => result.latencyMs.p99 / base.latencyMs.p99),
						},
					}),
			rounds: results,
		};
	});
}

/** The table and the verification figure, as `npm run bench` prints them. */
export function formatReport(scenarios: ScenarioSummary[]): string {
	const header = [
		"scenario",
		"req/s",
		"p50 ms",
		"p99 ms",
		"errors",
		"req/s vs base",
		"p50 vs base",
		"p99 vs base",
	];
	const times = (value: number | undefined) => (value === undefined ? "—" : `${value.toFixed(2)}×`);
	const rows = scenarios.map((scenario) => [
		scenario.name,
		String(scenario.requestsPerSecond),
		String(scenario.latencyMs.p50),
		String(scenario.latencyMs.p99),
		String(scenario.errors),
		times(scenario.vsBaseline?.throughput),
		times(scenario.vsBaseline?.p50),
		times(scenario.vsBaseline?.p99),
	]);
	const widths = header.map((title, column) =>
		Math.max(title.length, ...rows.map((row) => (row[column] as string).length)),
	);
	const line = (cells: string[]) =>
		cells
			.map((cell, column) =>
				column === 0 ? cell.padEnd(widths[column] as number) : cell.padStart(widths[column] as number),
			)
			.join("  ");
	return [line(header), ...rows.map(line)].join("\n");
}
