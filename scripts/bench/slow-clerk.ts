/**
 * Clerk as the benchmark sees it: the emulator (`createEmulator`) on a loopback HTTP server, with its
 * `latencyMs` option making every Clerk call wait like a Clerk that is a round trip away. Control
 * endpoints (`/__emulator/*`) answer at once.
 *
 * It runs in a worker thread, so that the emulator's work never stalls the event loop of the load
 * generator measuring the Workers. Besides the emulator's endpoints it answers
 * `GET /__bench/clerk-calls?prefix=org_x`: how many Clerk calls the emulator recorded so far for
 * organizations whose id starts with the prefix (each build of the bench has its own organizations).
 * */
import type { AddressInfo } from "node:net";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { serve } from "@hono/node-server";
import { createEmulator } from "../../emulator/emulator.ts";

export interface SlowClerk {
	url: string;
	/** Clerk calls the emulator recorded so far for organizations whose id starts with `prefix`. */
	clerkCalls(prefix: string): Promise<number>;
	close(): Promise<void>;
}

interface ThreadData {
	secretKey: string;
	latencyMs: number;
}

/**
 * Starts the emulator with `latencyMs` of Clerk latency in a worker thread; resolves with its URL.
 *
 * @example
 * const clerk = await startSlowClerk({ secretKey: "sk_test_…", latencyMs: 40 });
 * const before = await clerk.clerkCalls("org_benchp");
 */
export async function startSlowClerk(options: ThreadData): Promise<SlowClerk> {
	const worker = new Worker(new URL(import.meta.url), { workerData: options });
	const url = await new Promise<string>((resolve, reject) => {
		worker.once("message", (message: { url: string }) => resolve(message.url));
		worker.once("error", reject);
	});
	return {
		url,
		async clerkCalls(prefix) {
			const response = await fetch(`${url}/__bench/clerk-calls?prefix=${encodeURIComponent(prefix)}`);
			return ((await response.json()) as { calls: number }).calls;
		},
		close: async () => {
			await worker.terminate();
		},
	};
}

function serveInThisThread({ secretKey, latencyMs }: ThreadData): void {
	const emulator = createEmulator({ secretKey, latencyMs });
	serve(
		{
			hostname: "127.0.0.1",
			port: 0,
			fetch: (request) => {
				const url = new URL(request.url);
				if (url.pathname !== "/__bench/clerk-calls") return emulator.fetch(request);
				const prefix = url.searchParams.get("prefix") ?? "";
				const calls = emulator.calls.filter(
					(call) => call.service === "clerk" && call.target.startsWith(prefix),
				).length;
				return Response.json({ calls });
			},
		},
		(info: AddressInfo) => parentPort?.postMessage({ url: `http://127.0.0.1:${info.port}` }),
	);
}

if (!isMainThread && (workerData as ThreadData | undefined)?.latencyMs !== undefined) {
	serveInThisThread(workerData as ThreadData);
}
