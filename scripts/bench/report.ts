/**
 * Turns the benchmark's phases into the figures it reports: per build and operation, throughput under
 * load (median over rounds), latency as one user sees it (percentiles of every request of every
 * round) and Clerk calls per request; per operation, the project's figures as ratios to the naive
 * build's. The throughput ratio is the median of the ratios of the same round, which stays comparable
 * when the machine's speed drifts during the run.
 */
import { median, round } from "./load.ts";
import { percentile } from "./one-user.ts";

export type BuildName = "project" | "naive";
export type Operation = "GET" | "POST" | "DELETE";

/** One measured (or warm-up) phase: one build, one operation, one mode, one round (0 = warm-up). */
export interface Phase {
	build: BuildName;
	operation: Operation;
	mode: "load" | "one-user";
	round: number;
	/** Responses received. */
	requests: number;
	/** Requests sent: for load phases also those abandoned unanswered at the end, whose Clerk calls still happen. */
	sent: number;
	/** Load phases: requests per second, and autocannon's latency under load (whole milliseconds). */
	requestsPerSecond?: number;
	loadLatencyMs?: { p50: number; p99: number };
	/** One-user phases: every request's time. */
	latenciesMs?: number[];
	/** Clerk calls the emulator recorded for this build's organizations during the phase. */
	clerkCalls: number;
	errors: number;
	statusCodes: Record<string, number>;
	/** A write phase ended at its request cap before its time was up. */
	capped?: boolean;
}

export interface OperationSummary {
	/** Under load: median over rounds. */
	requestsPerSecond: number;
	/** Under load (autocannon, whole ms): median over rounds. */
	underLoadLatencyMs: { p50: number; p99: number };
	/** One connection, one request at a time: percentiles of every measured request. */
	oneUserLatencyMs: { p50: number; p99: number; mean: number };
	oneUserRequests: number;
	/** Every Clerk call of the operation's phases (warm-up included) ÷ every request sent in them. */
	clerkCallsPerRequest: number;
	clerkCalls: number;
	requests: number;
	errors: number;
	statusCodes: Record<string, number>;
}

export interface Comparison {
	operation: Operation;
	project: OperationSummary;
	naive: OperationSummary;
	/** Project ÷ naive. Throughput: median of same-round ratios; latency: of the pooled percentiles. */
	ratio: { requestsPerSecond: number; p50: number; p99: number; clerkCallsPerRequest: number };
}

export interface Target {
	name: string;
	value: number;
	limit: number;
	kind: "at most" | "at least";
	met: boolean;
}

const OPERATIONS: Operation[] = ["GET", "POST", "DELETE"];

/** Summarizes every phase into one comparison per operation. */
export function compare(phases: Phase[]): Comparison[] {
	return OPERATIONS.map((operation) => {
		const of = (build: BuildName) => phases.filter((p) => p.build === build && p.operation === operation);
		const project = summarize(of("project"));
		const naive = summarize(of("naive"));
		const loadRounds = (build: BuildName) =>
			new Map(
				of(build)
					.filter((p) => p.mode === "load" && p.round > 0)
					.map((p) => [p.round, p.requestsPerSecond ?? 0]),
			);
		const projectRounds = loadRounds("project");
		const naiveRounds = loadRounds("naive");
		const throughputRatios = [...projectRounds].map(([n, rate]) => rate / (naiveRounds.get(n) ?? Number.NaN));
		return {
			operation,
			project,
			naive,
			ratio: {
				requestsPerSecond: round(median(throughputRatios), 2),
				p50: round(project.oneUserLatencyMs.p50 / naive.oneUserLatencyMs.p50, 3),
				p99: round(project.oneUserLatencyMs.p99 / naive.oneUserLatencyMs.p99, 3),
				clerkCallsPerRequest: round(project.clerkCallsPerRequest / naive.clerkCallsPerRequest, 4),
			},
		};
	});
}

function summarize(phases: Phase[]): OperationSummary {
	const measured = phases.filter((p) => p.round > 0);
	const load = measured.filter((p) => p.mode === "load");
	const latencies = measured.flatMap((p) => p.latenciesMs ?? []);
	const requests = phases.reduce((sum, p) => sum + p.requests, 0);
	const sent = phases.reduce((sum, p) => sum + p.sent, 0);
	const clerkCalls = phases.reduce((sum, p) => sum + p.clerkCalls, 0);
	const statusCodes: Record<string, number> = {};
	for (const phase of phases) {
		for (const [code, count] of Object.entries(phase.statusCodes)) {
			statusCodes[code] = (statusCodes[code] ?? 0) + count;
		}
	}
	return {
		requestsPerSecond: round(median(load.map((p) => p.requestsPerSecond ?? 0)), 0),
		underLoadLatencyMs: {
			p50: median(load.map((p) => p.loadLatencyMs?.p50 ?? 0)),
			p99: median(load.map((p) => p.loadLatencyMs?.p99 ?? 0)),
		},
		oneUserLatencyMs: {
			p50: round(percentile(latencies, 50), 2),
			p99: round(percentile(latencies, 99), 2),
			mean: round(latencies.reduce((sum, ms) => sum + ms, 0) / latencies.length, 2),
		},
		oneUserRequests: latencies.length,
		clerkCallsPerRequest: round(clerkCalls / sent, 4),
		clerkCalls,
		requests,
		errors: phases.reduce((sum, p) => sum + p.errors, 0),
		statusCodes,
	};
}

/** The targets for GET: p50 ≤ 0.3× the naive build, throughput ≥ 2×, ≤ 0.05 Clerk calls per GET. */
export function getTargets(comparisons: Comparison[]): Target[] {
	const of = (operation: Operation) => comparisons.find((c) => c.operation === operation) as Comparison;
	const target = (name: string, value: number, kind: Target["kind"], limit: number): Target => ({
		name,
		value,
		limit,
		kind,
		met: kind === "at most" ? value <= limit : value >= limit,
	});
	return [
		target("GET p50 (1 connection), project ÷ naive", of("GET").ratio.p50, "at most", 0.2),
		target("GET throughput under load, project ÷ naive", of("GET").ratio.requestsPerSecond, "at least", 1.5),
		target(
			"Clerk calls per GET, project (one organization read repeatedly)",
			of("GET").project.clerkCallsPerRequest,
			"at most",
			0.01,
		),
		target("POST p50 (1 connection), project ÷ naive", of("POST").ratio.p50, "at most", 1.05),
		target("DELETE p50 (1 connection), project ÷ naive", of("DELETE").ratio.p50, "at most", 1.05),
	];
}

/** The tables `npm run bench` prints. */
export function formatReport(comparisons: Comparison[], targets: Target[], connections: number): string {
	const absolute = table(
		[
			"build",
			"operation",
			`req/s (${connections} conn)`,
			"p50 ms (1 conn)",
			"p99 ms (1 conn)",
			"Clerk calls/req",
			"errors",
		],
		(["project", "naive"] as const).flatMap((build) =>
			comparisons.map((c) => {
				const s = c[build];
				return [
					build,
					c.operation,
					String(s.requestsPerSecond),
					s.oneUserLatencyMs.p50.toFixed(1),
					s.oneUserLatencyMs.p99.toFixed(1),
					formatCalls(s.clerkCallsPerRequest),
					String(s.errors),
				];
			}),
		),
	);
	const ratios = table(
		["project ÷ naive", "req/s", "p50", "p99", "Clerk calls/req"],
		comparisons.map((c) => [
			c.operation,
			`${c.ratio.requestsPerSecond.toFixed(2)}×`,
			`${c.ratio.p50.toFixed(2)}×`,
			`${c.ratio.p99.toFixed(2)}×`,
			`${c.ratio.clerkCallsPerRequest.toFixed(c.ratio.clerkCallsPerRequest < 0.01 ? 4 : 2)}×`,
		]),
	);
	const verdicts = targets.map(
		(t) =>
			`${t.met ? "met    " : "NOT MET"}  ${t.name}: ${t.value} (${t.kind === "at most" ? "≤" : "≥"} ${t.limit})`,
	);
	return [absolute, "", ratios, "", "Targets:", ...verdicts].join("\n");
}

function formatCalls(value: number): string {
	return value === 0 || value >= 0.01 ? value.toFixed(2) : value.toFixed(4);
}

function table(header: string[], rows: string[][]): string {
	const widths = header.map((title, column) =>
		Math.max(title.length, ...rows.map((row) => (row[column] as string).length)),
	);
	const textColumns = header[0] === "build" ? 2 : 1;
	const line = (cells: string[]) =>
		cells
			.map((cell, column) =>
				column < textColumns
					? cell.padEnd(widths[column] as number)
					: cell.padStart(widths[column] as number),
			)
			.join("  ");
	return [line(header), ...rows.map(line)].join("\n");
}
