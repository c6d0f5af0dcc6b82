/**
 * What the emulator can be told to do instead of answering normally, one fault per upstream call,
 * queued per organization (Clerk) or per API key (Close) so that parallel tests never meet. A fault
 * with `method` is kept for the next call of that method: calls of other methods pass it by.
 */
export type Fault = (StatusFault | TransportFault | ClerkFault) & { method?: "GET" | "PATCH" };

/** Answer with this status (in the vendor's error shape), e.g. 500, 502, 503, or 429 with `Retry-After`. */
type StatusFault = { status: number; retryAfter?: string };

/** What goes wrong the same way whichever upstream it happens to: played by `playTransportFault`. */
export type TransportFault =
	/** Answer 200 with a body that is not JSON. */
	| { kind: "malformed-json" }
	/** Answer 200 with a JSON body labelled `text/html`. */
	| { kind: "wrong-content-type" }
	/** Answer normally, after `ms` milliseconds. */
	| { kind: "slow"; ms: number }
	/** Never answer (until the caller gives up and closes the connection). */
	| { kind: "hang" }
	/** Close the connection without answering. */
	| { kind: "drop" }
	/** Answer 302 to `location` (no Clerk or Close endpoint redirects; a stand-in for whoever might). */
	| { kind: "redirect"; location: string };

/** Clerk's own refusals, played by the Clerk emulator only. */
type ClerkFault =
	/** Refuse a metadata write as over Clerk's 8 KB limit (422). */
	| { kind: "metadata-limit" }
	/** Clerk's 409 `resource_locked`: another request holds the organization. */
	| { kind: "locked" };

/** Lets a fault close the connection; given by the server the emulator runs in. */
export interface ConnectionControl {
	drop(): void;
}

const TRANSPORT_KINDS: ReadonlySet<string> = new Set<TransportFault["kind"]>([
	"malformed-json",
	"wrong-content-type",
	"slow",
	"hang",
	"drop",
	"redirect",
]);

/** Whether a fault (a Clerk or Close one, or a Bullhorn one) is one `playTransportFault` plays. */
export function isTransportFault<F extends object>(fault: F): fault is F & TransportFault {
	return "kind" in fault && TRANSPORT_KINDS.has(String(fault.kind));
}

/**
 * Plays a transport fault: the answer to send instead of the emulator's, or `undefined` to answer normally
 * (after `slow`'s wait). `malformedJson` is the start of a body of the vendor's, cut off.
 */
export async function playTransportFault(
	fault: TransportFault,
	malformedJson: string,
	connection: ConnectionControl | undefined,
): Promise<Response | undefined> {
	switch (fault.kind) {
		case "malformed-json":
			return new Response(malformedJson, { headers: { "Content-Type": "application/json" } });
		case "wrong-content-type":
			return new Response("<html><body>Bad gateway</body></html>", {
				headers: { "Content-Type": "text/html" },
			});
		case "slow":
			await new Promise((resolve) => setTimeout(resolve, fault.ms));
			return undefined;
		case "hang":
			return new Promise<Response>(() => {});
		case "drop":
			connection?.drop();
			return new Promise<Response>(() => {});
		case "redirect":
			return new Response(null, { status: 302, headers: { Location: fault.location } });
	}
}

export class FaultQueues {
	readonly #queues = new Map<string, Fault[]>();

	add(target: string, faults: Fault[]): void {
		this.#queues.set(target, [...(this.#queues.get(target) ?? []), ...faults]);
	}

	/** The next fault for a call of `method` about `target`, consumed. */
	take(target: string, method: string): Fault | undefined {
		const queue = this.#queues.get(target);
		const index = queue?.findIndex((fault) => fault.method === undefined || fault.method === method) ?? -1;
		if (!queue || index < 0) return undefined;
		const [fault] = queue.splice(index, 1);
		if (queue.length === 0) this.#queues.delete(target);
		return fault;
	}

	clear(): void {
		this.#queues.clear();
	}
}
