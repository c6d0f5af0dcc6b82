/** Captures what the Worker logs during a test (it logs one JSON object per line). */
import { onTestFinished, vi } from "vitest";

export interface CapturedLogs {
	/** Every line logged so far, raw. */
	readonly lines: string[];
	/** The lines parsed as JSON objects. */
	entries(): Record<string, unknown>[];
}

/** Starts capturing console output for the current test; it is restored after the test. */
export function captureLogs(): CapturedLogs {
	const lines: string[] = [];
	const record = (...args: unknown[]) => {
		lines.push(args.map(String).join(" "));
	};
	const spies = [
		vi.spyOn(console, "log").mockImplementation(record),
		vi.spyOn(console, "info").mockImplementation(record),
		vi.spyOn(console, "warn").mockImplementation(record),
		vi.spyOn(console, "error").mockImplementation(record),
		vi.spyOn(console, "debug").mockImplementation(record),
	];
	onTestFinished(() => {
		for (const spy of spies) spy.mockRestore();
	});
	return { lines, entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}
