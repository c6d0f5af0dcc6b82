/** Runs the emulator as an HTTP server on the loopback interface, for `npm run dev` and the tests. */

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createEmulator, type EmulatorOptions } from "./emulator.ts";

export interface RunningEmulator {
	url: string;
	close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions & { port?: number }): Promise<RunningEmulator> {
	const emulator = createEmulator(options);
	return new Promise((resolve) => {
		const server = serve(
			{
				hostname: "127.0.0.1",
				port: options.port ?? 0,
				fetch: (request, env: { incoming: { socket: { destroy(): void } } }) =>
					emulator.fetch(request, { connection: { drop: () => env.incoming.socket.destroy() } }),
			},
			(info: AddressInfo) => {
				resolve({
					url: `http://127.0.0.1:${info.port}`,
					close: () =>
						new Promise<void>((done) => {
							(server as Server).closeAllConnections();
							server.close(() => done());
						}),
				});
			},
		);
	});
}
