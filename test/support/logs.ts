/** Reads the Worker's JSON log lines inside the test isolate: what a request logged, and why it was refused. */
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

export interface RequestLogLine {
	level: string;
	msg: "request";
	method: string;
	path: string;
	status: number;
	ms: number;
	requestId: string;
	orgId: string | null;
	authFailure?: string;
}

/** The request log line of `response`, matched by its X-Request-Id. */
export function requestLogOf(response: ApiResponse): RequestLogLine | undefined {
	const requestId = response.headers.get("X-Request-Id");
	for (const [line] of consoleLog?.mock.calls ?? []) {
		if (typeof line !== "string" || !line.startsWith("{")) continue;
		const entry = JSON.parse(line) as Partial<RequestLogLine>;
		if (entry.msg === "request" && entry.requestId === requestId) return entry as RequestLogLine;
	}
	return undefined;
}

/** Why the request of `response` had no session, as its log line says. */
export function authFailureOf(response: ApiResponse): string | undefined {
	return requestLogOf(response)?.authFailure;
}
