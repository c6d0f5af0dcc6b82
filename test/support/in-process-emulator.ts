/**
 * The emulator inside the test's isolate, and a clock the test drives: for the tests whose point is
 * time — attempt timeouts, backoff, `Retry-After`, a hanging or slow upstream. On the real clock those
 * cost the suite seconds of waiting, and every bound had to allow for a loaded machine; on a fake clock
 * a case takes exactly the time the code's policy gives it, and none of it is waited out.
 *
 * Why in-process: the loopback emulator (test/global-setup.ts) runs in the Node process, on a clock no
 * test can move: a hanging answer there ends only when workerd's real timer fires. Here the same
 * `createEmulator()` app answers inside the isolate, so its `slow` fault, the Worker's attempt timeouts
 * and its backoff all run on the one clock `vi.useFakeTimers` replaces. Everything else in the suite
 * keeps the loopback emulator: the real HTTP path between workerd and an upstream.
 *
 * What the transport keeps of the real one: a request that hangs rejects when its signal aborts, with
 * the signal's reason; a dropped connection rejects with workerd's own "Network connection lost." (both
 * are played over real HTTP in test/fetch-with-retry.test.ts). The helpers of ./emulator.ts reach this
 * emulator too: they fetch the same URL.
 */
import { inject, onTestFinished, vi } from "vitest";
import { createEmulator, type Emulator } from "../../emulator/emulator.ts";
import { GOOD_CLOSE_API_KEY, TEST_CLERK_SECRET_KEY } from "../constants.ts";

// Taken before any test replaces it.
const realFetch = globalThis.fetch;
/** What the fake clock replaces: enough for timeouts, backoff and time stamps. */
const FAKED: ("setTimeout" | "clearTimeout" | "Date")[] = ["setTimeout", "clearTimeout", "Date"];

/**
 * Turns of the real event loop with nothing settled before the clock moves to the next timer. While a
 * timer is pending, the only real work beside it is the attempt it bounds — the emulator's answer and
 * the reading of its body, which takes 2 turns at most (fetchWithRetry reads the body inside the
 * attempt and clears the attempt's timer after it). 50 is a wide margin; a move too early would not
 * pass unnoticed either: it adds a timer's whole delay to a time the tests bound exactly.
 */
const QUIET_TURNS = 50;
/** Real time a request may wait with no timer left to fire before it fails its test (a hang). */
const STUCK_MS = 5000;

let emulator: Emulator | undefined;

export interface Timed<T> {
	value: T;
	/** The time it took on the fake clock: the waits the code chose, nothing of the machine's speed. */
	elapsedMs: number;
}

export interface FakeClock {
	/**
	 * Runs `work` (a request and what it needs) on a clock of its own, starting at the current time,
	 * and lets fake time pass only while the work waits on a timer. Timers left by earlier work (an
	 * abandoned slow answer) are gone, so `elapsedMs` is this work's own.
	 */
	timed<T>(work: () => Promise<T>): Promise<Timed<T>>;
	/** Sets the fake clock to `ms` since the epoch, firing no timer. */
	setTime(ms: number): void;
}

/**
 * For the current test: `fetch` to the emulator's URL is answered by the in-process emulator, and
 * `setTimeout`, `clearTimeout` and `Date` are fake. Both are undone when the test finishes.
 *
 * @example
 * const clock = useInProcessEmulator();
 * await queueClerkFaults(orgId, [{ kind: "hang" }]);
 * const { value: response, elapsedMs } = await clock.timed(() => getSettings({ token }));
 */
export function useInProcessEmulator(): FakeClock {
	emulator ??= createEmulator({ secretKey: TEST_CLERK_SECRET_KEY, closeApiKeys: [GOOD_CLOSE_API_KEY] });
	const inProcess = emulator;
	const origin = new URL(inject("emulatorUrl")).origin;

	vi.stubGlobal("fetch", (input: RequestInfo | URL, init?: RequestInit) => {
		const url = new URL(input instanceof Request ? input.url : input);
		if (url.origin !== origin) return realFetch(input, init);
		const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
		return answer(inProcess, new Request(input, init), signal ?? undefined);
	});
	let timers = installClock(Date.now());
	onTestFinished(() => {
		timers.cancelAll();
		vi.useRealTimers();
		vi.unstubAllGlobals();
	});

	return {
		async timed(work) {
			const started = Date.now();
			timers.cancelAll();
			timers = installClock(started);
			const value = await drive(work(), timers);
			return { value, elapsedMs: Date.now() - started };
		},
		setTime(ms) {
			vi.setSystemTime(ms);
		},
	};
}

/** The emulator's answer to `request`, as `fetch` would deliver it. */
function answer(inProcess: Emulator, request: Request, signal: AbortSignal | undefined): Promise<Response> {
	return new Promise<Response>((resolve, reject) => {
		if (signal?.aborted) return reject(signal.reason);
		const abort = () => reject(signal?.reason);
		signal?.addEventListener("abort", abort, { once: true });
		// What workerd's fetch rejects with when the connection closes without an answer.
		const connection = { drop: () => reject(new Error("Network connection lost.")) };
		Promise.resolve(inProcess.fetch(request, { connection }))
			.then(resolve, reject)
			.finally(() => signal?.removeEventListener("abort", abort));
	});
}

interface Timers {
	/** Callbacks whose fake time has come and that have not run yet. */
	due(): number;
	/** Forgets every pending timer: none of them will run. */
	cancelAll(): void;
}

/**
 * A fresh fake clock at `now`, whose timers run their callbacks in the context that set them.
 *
 * Why: workerd runs each Durable Object's code in an I/O context of its own (the settings cache reads
 * Clerk from inside one), and code resumed from another context may not touch that context's I/O. A
 * fake timer fires where the clock is advanced — the test's context — so it only marks its callback
 * due, and a real wait in the setter's own context runs it.
 */
function installClock(now: number): Timers {
	vi.useRealTimers();
	vi.useFakeTimers({ now, toFake: FAKED });
	const fakeSetTimeout = globalThis.setTimeout;
	const fakeClearTimeout = globalThis.clearTimeout;
	type State = "waiting" | "due" | "over";
	const states = new Map<unknown, { state: State }>();

	globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
		const timer = { state: "waiting" as State };
		const id = fakeSetTimeout(() => {
			timer.state = "due";
		}, ms);
		states.set(id, timer);
		void (async () => {
			while (timer.state === "waiting") await scheduler.wait(1);
			if (timer.state !== "due") return;
			timer.state = "over";
			states.delete(id);
			callback(...args);
		})();
		return id;
	}) as typeof setTimeout;
	globalThis.clearTimeout = ((id: number | null) => {
		fakeClearTimeout(id);
		const timer = states.get(id);
		if (timer) timer.state = "over";
		states.delete(id);
	}) as typeof clearTimeout;

	return {
		due: () => [...states.values()].filter((timer) => timer.state === "due").length,
		cancelAll() {
			for (const timer of states.values()) timer.state = "over";
			states.clear();
		},
	};
}

/** One turn of workerd's event loop: reading a body completes only there, not among the microtasks. */
const realTurn = () => new Response("").arrayBuffer();

/**
 * Settles `work` on the fake clock: lets the real work run (an emulator answer, body reads, a binding's
 * I/O) and, once nothing has settled for QUIET_TURNS turns, moves the clock to the next timer — a
 * backoff, an attempt's timeout, a slow answer — and waits for its callback to run. With no timer to
 * fire, the work is waiting on real I/O: it gets real time, up to STUCK_MS.
 */
async function drive<T>(work: Promise<T>, timers: Timers): Promise<T> {
	let settled = false;
	const settle = () => {
		settled = true;
	};
	work.then(settle, settle);
	let quiet = 0;
	let waitingSince: number | undefined;
	while (!settled) {
		await realTurn();
		if (timers.due() > 0) {
			await scheduler.wait(1);
			quiet = 0;
			continue;
		}
		if (settled || ++quiet < QUIET_TURNS) continue;
		if (vi.getTimerCount() > 0) {
			await vi.advanceTimersToNextTimerAsync();
			quiet = 0;
			waitingSince = undefined;
			continue;
		}
		await scheduler.wait(1);
		waitingSince ??= performance.now();
		if (performance.now() - waitingSince > STUCK_MS) {
			throw new Error(`not settled after ${STUCK_MS} ms of real time, and no timer left to fire`);
		}
	}
	return work;
}
