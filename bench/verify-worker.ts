/**
 * Benchmark-only Worker, never deployed: runs the session-token verify path (`authenticate`, with the
 * configuration the real Worker parses) `n` times inside one request, so that `npm run bench` can time
 * it in workerd from outside (workerd's clocks do not advance while code runs).
 *
 * @example
 * await fetch(`${url}/?n=2000`, { headers: { Authorization: `Bearer ${token}` } }); // { verified: 2000 }
 */
import { authenticate } from "../src/auth/session.ts";
import { loadConfig } from "../src/config/config.ts";

export default {
	async fetch(request, env) {
		const n = Number(new URL(request.url).searchParams.get("n") ?? "0");
		const config = loadConfig(env);
		const authorization = request.headers.get("Authorization") ?? undefined;
		let verified = 0;
		for (let i = 0; i < n; i++) {
			if ((await authenticate(authorization, config)).ok) verified++;
		}
		return Response.json({ verified });
	},
} satisfies ExportedHandler<Env>;
