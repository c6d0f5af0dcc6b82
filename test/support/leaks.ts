/**
 * One secrets check for the whole battery: nothing a client or an operator can see — a response's
 * status, headers and body, or a line the Worker logged — may hold a secret the test handed to the
 * Worker: the Clerk secret, a bearer token, or the part of an API key that GET never shows.
 */
import { expect } from "vitest";
import { TEST_CLERK_SECRET_KEY } from "../constants.ts";
import { type ApiResponse, type CallOptions, send, settingsRequest } from "./api.ts";
import { type CapturedLogs, captureLogs } from "./logs.ts";

/** Shorter values would match by chance (a key like "k" is in every body); tests use longer secrets. */
const SHORTEST_SECRET = 12;

/** Methods whose successful requests log no line (src/middleware/log.ts). */
const READS = ["GET", "HEAD"];

// Close documents the `api_<id>` prefix of its keys as safe to share; GET shows it as apiKeyId.
const CLOSE_KEY = /^(api_[A-Za-z0-9]+)\.([A-Za-z0-9]+)$/;

export interface LeakWatch {
	/** The lines the Worker logged since the watch began. */
	readonly logs: CapturedLogs;
	/** Sends through the Worker like `send`, keeping the response and the request's bearer token. */
	send(request: Request, env?: CallOptions["env"]): Promise<ApiResponse>;
	/** `send` for the settings endpoint, with `settingsRequest`'s options. */
	call(method: string, options?: CallOptions): Promise<ApiResponse>;
	/** A value that must never be seen; at least 12 characters, so that a match means a leak. */
	secret(value: string): void;
	/** An API key handed to the Worker: all of it but what GET may show (last 4, a Close key's id). */
	apiKey(key: string): void;
	/** Fails the test if a response kept or a line logged since the watch began holds a secret. */
	expectNoLeaks(): void;
}

/**
 * Starts watching for the current test: captures the Worker's log lines and knows the Clerk secret.
 * Call `expectNoLeaks()` whenever convenient (inside a property, after each case, so a failure shrinks).
 *
 * @example
 * const watch = watchForLeaks();
 * watch.apiKey(KEY);
 * await watch.call("POST", { token, body: { provider: "close", apiKey: KEY } });
 * watch.expectNoLeaks();
 */
export function watchForLeaks(): LeakWatch {
	const logs = captureLogs();
	/** Each secret as it would appear: as it is and, where that differs, escaped inside a JSON string. */
	const forms: string[] = [];
	const seen: string[] = [];
	/** Responses that must have logged a line: all but successful reads. */
	let logged = 0;
	let checkedForms = 0;
	let checkedSeen = 0;
	let checkedLogLines = 0;

	const secret = (value: string) => {
		if (value.length < SHORTEST_SECRET)
			throw new Error(`test secret too short to watch for: ${value.length}`);
		for (const form of new Set([value, JSON.stringify(value).slice(1, -1)]))
			if (!forms.includes(form)) forms.push(form);
	};
	secret(TEST_CLERK_SECRET_KEY);
	const send_ = async (request: Request, env: CallOptions["env"] = {}) => {
		const credential = request.headers.get("Authorization")?.split(".").at(-1) ?? "";
		if (credential.length >= SHORTEST_SECRET) secret(credential);
		const response = await send(request, env);
		seen.push(visible(response));
		if (!(READS.includes(request.method) && response.status < 400)) logged++;
		return response;
	};

	return {
		logs,
		send: send_,
		call: (method, options = {}) => send_(settingsRequest(method, options), options.env),
		secret,
		apiKey(key) {
			const trimmed = key.trim();
			const hidden = CLOSE_KEY.exec(trimmed)?.[2] ?? trimmed;
			secret(hidden.slice(0, -4));
		},
		expectNoLeaks() {
			seen.push(...logs.lines.slice(checkedLogLines));
			checkedLogLines = logs.lines.length;
			// New secrets are looked for everywhere; known ones only in what appeared since the last check.
			// (Text by text: joining everything seen into one string at every check made a battery quadratic.)
			const recent = seen.slice(checkedSeen);
			for (const [index, form] of forms.entries()) {
				const text = (index < checkedForms ? recent : seen).find((candidate) => candidate.includes(form));
				if (text !== undefined) expect.fail(`a secret was seen: ${form.slice(0, 8)}… in ${text}`);
			}
			checkedForms = forms.length;
			checkedSeen = seen.length;
			// Every write and every failure logs a line: a watch that captured nothing would prove nothing.
			expect(logs.lines.length).toBeGreaterThanOrEqual(logged);
		},
	};
}

/** Everything a client could see of a response: status, every header and the body. */
function visible(response: ApiResponse): string {
	return JSON.stringify({ status: response.status, headers: [...response.headers], body: response.body });
}
