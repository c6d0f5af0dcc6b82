/** Reads the Worker's JSON log lines inside the test isolate, to see why a request was refused. */
import { afterEach, beforeEach, type MockInstance, vi } from "vitest";
import type { ApiResponse } from "./api.ts";

let consoleLog: MockInstance<typeof console.log> | undefined;

/** Records `console.log` for every test of the calling file (and keeps the output quiet). */
export function captureLogs(): void {
	beforeEach(() => {
		consoleLog = vi.spyOn(console, "log").mockImplementation(() => {});
	});
	afterEach(() => {
		consoleLog?.mockRestore();
		consoleLog = undefined;
	});
}

/** The `authFailure` of the request log line of `response` (matched by its X-Request-Id), if any. */
export function authFailureOf(response: ApiResponse): string | undefined {
	const requestId = response.headers.get("X-Request-Id");
	for (const [line] of consoleLog?.mock.calls ?? []) {
		if (typeof line !== "string" || !line.startsWith("{")) continue;
		const entry = JSON.parse(line) as { msg?: string; requestId?: string; authFailure?: string };
		if (entry.msg === "request" && entry.requestId === requestId) return entry.authFailure;
	}
	return undefined;
}
