/**
 * `API=http://127.0.0.1:8787 TOKEN=… npm run example:client`: the typed client of this folder against a
 * running API. It reads the settings, connects Close, reads the audit history and disconnects, printing
 * each answer. `npm run dev` serves the API and prints a TOKEN (an org:admin of org_dev), and its Close
 * accepts the key used here; against a deployment, TOKEN is a Clerk session token of an admin (from
 * `await clerk.session.getToken()`) and the real Close refuses this key (400, nothing saved).
 *
 * Every call is typed from the OpenAPI document (schema.d.ts): paths, bodies and answers, so a typo in a
 * path or a field is a type error, and `data` narrows (a connected GET names its provider).
 */
import { crmSettingsClient } from "./crm-settings-client.ts";

// Node's, declared here rather than with @types/node: the client's type check stays that of a front end.
declare const process: { env: Record<string, string | undefined>; exitCode?: number };

/** The key `npm run dev`'s Close accepts (not a real credential). */
const DEV_CLOSE_API_KEY = "api_dev0000000000000000000.devsecret000000000000000";
const SETTINGS = "/api/v1/operations/crm/settings";
const HISTORY = "/api/v1/operations/crm/settings/history";

const api = process.env.API?.replace(/\/+$/, "");
const token = process.env.TOKEN;
if (!api || !token) {
	console.error(
		"Usage: API=http://127.0.0.1:8787 TOKEN=… npm run example:client\n" +
			"API is the Worker's URL; TOKEN a Clerk session token of an org:admin (`npm run dev` prints one).",
	);
	process.exitCode = 2;
} else {
	await run(api, token);
}

async function run(baseUrl: string, token: string): Promise<void> {
	const crm = crmSettingsClient({ baseUrl, getToken: async () => token });
	let failed = 0;
	/**
	 * One answer: the call, its status, and the body (`data` on success, the typed error body otherwise),
	 * as JSON unless `summary` gives the lines to print for `data`.
	 */
	const show = <T>(
		call: string,
		answer: { data?: T; error?: unknown; response: Response },
		summary?: (data: T) => string[],
	) => {
		console.log(`${call} → ${answer.response.status}`);
		if (answer.data === undefined) {
			failed++;
			console.log(`${JSON.stringify(answer.error, null, 2)}\n`);
		} else {
			const lines = summary?.(answer.data) ?? [JSON.stringify(answer.data, null, 2)];
			console.log(`${lines.join("\n")}\n`);
		}
	};

	try {
		const before = await crm.GET(SETTINGS);
		show(`GET ${SETTINGS}`, before);

		const saved = await crm.POST(SETTINGS, {
			body: { provider: "close", apiKey: DEV_CLOSE_API_KEY, verify: true },
		});
		show(`POST ${SETTINGS} (Close, verify: true)`, saved);

		const connected = await crm.GET(SETTINGS);
		show(`GET ${SETTINGS}`, connected);
		// A connected answer always names its provider: the union narrows on `connected`.
		if (connected.data?.connected) console.log(`connected: ${connected.data.provider}\n`);

		// The audit history, newest first: one line per event (`by` is a user, a platform service or a job).
		const history = await crm.GET(HISTORY);
		show(`GET ${HISTORY}`, history, ({ events, nextCursor }) => [
			...events.map((event) => {
				const by = "userId" in event.by ? event.by.userId : "service" in event.by ? event.by.service : "job";
				return `  #${event.seq} ${event.type} ${event.provider} at ${event.at} by ${by}`;
			}),
			nextCursor === null ? "  (the whole history)" : `  older events: ?cursor=${nextCursor}`,
		]);

		const removed = await crm.DELETE(SETTINGS);
		show(`DELETE ${SETTINGS}`, removed);
	} catch (error) {
		// No HTTP answer at all: the API is not running there, or the URL is wrong.
		console.error(`Could not reach the API at ${baseUrl}: ${(error as Error).message}`);
		process.exitCode = 1;
		return;
	}
	if (failed > 0) {
		console.error(`${failed} call(s) answered with an error (above).`);
		process.exitCode = 1;
	}
}
