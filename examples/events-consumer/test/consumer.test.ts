import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker, { actions, type CrmEvent } from "../src/index.ts";

afterEach(() => {
	vi.restoreAllMocks();
});

/** An event as the service sends it; each call makes a new organization, so tests never share an id. */
function eventsOf(provider: CrmEvent["provider"] = "close") {
	const orgId = `org_${crypto.randomUUID()}`;
	const connection =
		provider === "close"
			? { provider, connectedAt: "2026-11-02T09:00:00.000Z", apiKeyId: "api_4xT8bQ2" }
			: { provider, connectedAt: "2026-11-02T09:00:00.000Z", apiUser: "acme.api" };
	let seq = 0;
	return (type: CrmEvent["type"], more: Partial<CrmEvent> = {}): CrmEvent => {
		seq += 1;
		const [id, at, by] = [`${orgId}-${seq}`, "2026-11-02T09:00:00.000Z", { userId: "user_1" }];
		return { id, seq, type, orgId, provider, at, by, connection, ...more };
	};
}

const logs = () => ({
	info: vi.spyOn(console, "log").mockImplementation(() => {}),
	warn: vi.spyOn(console, "warn").mockImplementation(() => {}),
	error: vi.spyOn(console, "error").mockImplementation(() => {}),
});

/** Hands the bodies to the consumer as one batch; the ack and retry calls it made, and its log lines. */
async function consume(bodies: unknown[], attempts = 1) {
	const spies = logs();
	const logged = Object.values(spies).map((spy) => spy.mock.calls.length);
	const messages = bodies.map((body, i) => ({ id: `msg-${i}`, timestamp: Date.now(), attempts, body }));
	const batch = createMessageBatch("crm-events", messages);
	// getQueueResult() tells which messages were retried, not with which delay: the calls tell.
	const retries = batch.messages.map((message) => vi.spyOn(message, "retry"));
	const ctx = createExecutionContext();
	await worker.queue(batch, env, ctx);
	const result = await getQueueResult(batch, ctx);
	const lines = (spy: typeof spies.info, from: number | undefined) =>
		spy.mock.calls.slice(from).map(([line]) => JSON.parse(String(line)));
	return {
		result,
		delays: retries.flatMap((spy) => spy.mock.calls.map(([options]) => options?.delaySeconds)),
		info: lines(spies.info, logged[0]),
		warn: lines(spies.warn, logged[1]),
		error: lines(spies.error, logged[2]),
	};
}

describe("the crm-events consumer", () => {
	it("acks every type, logs only id, seq, type, orgId and provider, and calls the team's code", async () => {
		const start = vi.spyOn(actions, "startSync");
		const stop = vi.spyOn(actions, "stopSync");
		const pause = vi.spyOn(actions, "pauseSync");
		const next = eventsOf("bullhorn");
		const events = [
			next("connected"),
			next("replaced", { previous: { provider: "bullhorn", connectedAt: "2026-11-01T00:00:00.000Z" } }),
			next("health_changed", { health: { from: "verified", to: "rejected", reconnectNeeded: true } }),
			next("health_changed", { health: { from: "rejected", to: "verified" } }),
			next("disconnected"),
		];

		const { result, info, warn, error } = await consume(events);

		expect(result.explicitAcks).toEqual(["msg-0", "msg-1", "msg-2", "msg-3", "msg-4"]);
		expect(result.retryMessages).toEqual([]);
		const lineOf = ({ id, seq, type, orgId, provider }: CrmEvent) => ({ id, seq, type, orgId, provider });
		expect(info).toStrictEqual(events.map((event) => ({ msg: "crm event", ...lineOf(event) })));
		expect(JSON.stringify(info)).not.toMatch(/acme\.api|user_1|connectedAt|"from"|reconnectNeeded/);
		expect([warn, error]).toEqual([[], []]);
		expect(start.mock.calls.map(([event]) => event)).toEqual([events[0], events[1]]);
		// Only the change to `rejected` pauses; the way back needs nothing from this example.
		expect(pause.mock.calls.map(([event]) => event)).toEqual([events[2]]);
		expect(pause.mock.calls[0]?.[0].health?.reconnectNeeded).toBe(true);
		expect(stop.mock.calls.map(([event]) => event)).toEqual([events[4]]);
	});

	it("acks a body that is not a known event, logging its message id and nothing of it", async () => {
		const start = vi.spyOn(actions, "startSync");
		const valid = eventsOf()("connected");
		const { id: _, ...withoutId } = valid;
		const bodies = [
			"hello",
			null,
			{ ...valid, type: "deleted" },
			{ ...valid, provider: "salesforce" },
			{ ...valid, seq: "1" },
			withoutId,
			{ ...valid, type: "health_changed" }, // no `health`
		];

		const { result, info, warn } = await consume(bodies);

		const ids = bodies.map((_, i) => `msg-${i}`);
		expect(result.explicitAcks).toEqual(ids);
		expect(result.retryMessages).toEqual([]);
		expect(warn).toStrictEqual(ids.map((messageId) => ({ msg: "crm event unknown", messageId })));
		expect(info).toEqual([]);
		expect(start).not.toHaveBeenCalled();
	});

	it("runs the team's code once for an id delivered twice, in one batch or in a later one", async () => {
		const start = vi.spyOn(actions, "startSync");
		const event = eventsOf()("connected");

		const first = await consume([event, structuredClone(event)]);
		const later = await consume([structuredClone(event)], 2);

		expect(start).toHaveBeenCalledTimes(1);
		expect(first.result.explicitAcks).toEqual(["msg-0", "msg-1"]);
		expect(later.result.explicitAcks).toEqual(["msg-0"]);
		const { id, seq, type, orgId, provider } = event;
		expect(first.info).toStrictEqual([
			{ msg: "crm event", id, seq, type, orgId, provider },
			{ msg: "crm event duplicate", id, seq, type, orgId, provider },
		]);
		expect(later.info).toStrictEqual([{ msg: "crm event duplicate", id, seq, type, orgId, provider }]);
	});

	it("retries, later each time, a message the team's code failed on, and acks the rest of the batch", async () => {
		const start = vi.spyOn(actions, "startSync").mockRejectedValue(new Error("sync service unavailable"));
		const stop = vi.spyOn(actions, "stopSync");
		const next = eventsOf();
		const connected = next("connected");
		const disconnected = next("disconnected");

		const first = await consume([connected, disconnected]);

		expect(first.result.retryMessages).toEqual([{ msgId: "msg-0" }]);
		expect(first.delays).toEqual([30]);
		expect(first.result.explicitAcks).toEqual(["msg-1"]);
		expect(stop).toHaveBeenCalledTimes(1);
		const { id, seq, type, orgId, provider } = connected;
		const reason = "sync service unavailable";
		expect(first.error).toStrictEqual([
			{ msg: "crm event failed", id, seq, type, orgId, provider, delaySeconds: 30, reason },
		]);

		// Redelivered on its third attempt: a failure waits longer; a success is acked, and only then remembered.
		const third = await consume([connected], 3);
		expect(third.result.retryMessages).toEqual([{ msgId: "msg-0" }]);
		expect(third.delays).toEqual([120]);
		start.mockResolvedValue();
		const fourth = await consume([connected], 4);
		expect(fourth.result.explicitAcks).toEqual(["msg-0"]);
		expect(fourth.result.retryMessages).toEqual([]);
		expect(start).toHaveBeenCalledTimes(3);
	});
});
