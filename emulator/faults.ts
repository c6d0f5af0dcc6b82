/**
 * What the emulator can be told to do instead of answering normally, one fault per upstream call,
 * queued per organization (Clerk) or per API key (Close) so that parallel tests never meet. A fault
 * with `method` is kept for the next call of that method: calls of other methods pass it by.
 */
export type Fault = FaultKind & { method?: "GET" | "PATCH" };

type FaultKind =
	/** Answer with this status (Clerk-style error body), e.g. 500, 502, 503, or 429 with `Retry-After`. */
	| { status: number; retryAfter?: string }
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
	/** Refuse a metadata write as over Clerk's 8 KB limit (422). */
	| { kind: "metadata-limit" }
	/** Clerk's 409 `resource_locked`: another request holds the organization. */
	| { kind: "locked" }
	/** Answer 302 to `location` (no Clerk or Close endpoint redirects; a stand-in for whoever might). */
	| { kind: "redirect"; location: string };

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
