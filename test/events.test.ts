/**
 * Lifecycle events and the audit history, through the public interface: one event per acknowledged
 * change, sent to the CRM_EVENTS queue (its producer binding watched here) through the organization's
 * owner's outbox, none for a refused or failed write, and the history admins read.
 */
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { EXPECTED_MESSAGES, GOOD_CLOSE_API_KEY } from "./constants.ts";
import {
	type ApiResponse,
	disconnect,
	errorBody,
	getSettings,
	recheck,
	SETTINGS_URL,
	saveSettings,
	send,
} from "./support/api.ts";
import {
	clerkCalls,
	newCloseApiKey,
	newOrganization,
	queueClerkFaults,
	revokeCloseApiKey,
} from "./support/emulator.ts";
import { watchForLeaks } from "./support/leaks.ts";
import { tokenFor } from "./support/tokens.ts";

const HISTORY_URL = `${SETTINGS_URL}/history`;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * What the queue took, in the order it took it. `failures` sends fail first, as a queue that is down;
 * with `firstSendHeld`, the first send answers only once that promise settles.
 */
function watchQueue(failures = 0, firstSendHeld?: Promise<void>) {
	const taken: { type: string; seq: number; orgId: string; id: string }[] = [];
	let failing = failures;
	let held = firstSendHeld;
	const spy = vi.spyOn(env.CRM_EVENTS, "send").mockImplementation(async (body) => {
		const hold = held;
		held = undefined;
		await hold;
		if (failing > 0) {
			failing--;
			throw new Error("the queue is down");
		}
		taken.push(body as (typeof taken)[number]);
		return {
			metadata: { metrics: { backlogCount: 0, backlogBytes: 0, oldestMessageTimestamp: new Date() } },
		} as never;
	});
	onTestFinished(() => spy.mockRestore());
	return {
		taken,
		of: (orgId: string) => taken.filter((event) => event.orgId === orgId),
		/** Waits until the owner has handed `count` events of the organization to the queue. */
		until: (orgId: string, count: number) =>
			vi.waitFor(() => expect(taken.filter((event) => event.orgId === orgId)).toHaveLength(count), {
				timeout: 2000,
				interval: 5,
			}),
	};
}

const history = (token: string, query = "") =>
	send(new Request(`${HISTORY_URL}${query}`, { headers: { Authorization: `Bearer ${token}` } }));

async function admin(userId = "user_admin") {
	const orgId = await newOrganization();
	return { orgId, token: await tokenFor(orgId, { userId }) };
}

describe("one event per acknowledged change", () => {
	it("connected, replaced, health_changed, disconnected — each once, in order, saying who and which connection", async () => {
		const queue = watchQueue();
		const { orgId, token } = await admin();
		const first = await newCloseApiKey();
		const saved = (await saveSettings({ token, body: { provider: "close", apiKey: first } })).body as {
			connectedAt: string;
		};
		const second = await newCloseApiKey();
		const replaced = (await saveSettings({ token, body: { provider: "close", apiKey: second } })).body as {
			connectedAt: string;
		};
		await revokeCloseApiKey(second);
		expect((await recheck({ token })).status).toBe(200);
		expect((await recheck({ token })).status).toBe(200); // still rejected: no change, no event
		expect((await disconnect({ token })).status).toBe(200);
		expect((await disconnect({ token })).status).toBe(200); // nothing left to disconnect: no event
		await queue.until(orgId, 4);

		const by = { userId: "user_admin" };
		const firstConnection = {
			provider: "close",
			connectedAt: saved.connectedAt,
			apiKeyId: first.split(".")[0],
		};
		const secondConnection = {
			provider: "close",
			connectedAt: replaced.connectedAt,
			apiKeyId: second.split(".")[0],
		};
		const common = (seq: number) => ({
			id: `${orgId}-${seq}`,
			seq,
			orgId,
			provider: "close",
			at: expect.stringMatching(ISO),
			by,
		});
		const expected = [
			{ ...common(1), type: "connected", connection: firstConnection },
			{ ...common(2), type: "replaced", connection: secondConnection, previous: firstConnection },
			{
				...common(3),
				type: "health_changed",
				connection: secondConnection,
				health: { from: "unverified", to: "rejected" },
			},
			{ ...common(4), type: "disconnected", connection: secondConnection },
		];
		expect(queue.of(orgId)).toEqual(expected);
		const page = await history(token);
		expect(page.body).toEqual({ events: [...expected].reverse(), nextCursor: null });
	});

	it("none for a write refused (403, 400, 429) or failed (Clerk 503)", async () => {
		const queue = watchQueue();
		vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
		onTestFinished(() => {
			vi.useRealTimers();
		});
		const { orgId, token } = await admin();
		const member = await tokenFor(orgId, { role: "org:member" });
		expect(
			(await saveSettings({ token: member, body: { provider: "close", apiKey: GOOD_CLOSE_API_KEY } })).status,
		).toBe(403);
		expect((await saveSettings({ token, body: { provider: "hubspot" } })).status).toBe(400);
		await queueClerkFaults(orgId, [
			{ status: 500, retryAfter: "0" },
			{ status: 500, retryAfter: "0" },
			{ status: 500, retryAfter: "0" },
		]);
		expect(
			(await saveSettings({ token, body: { provider: "close", apiKey: GOOD_CLOSE_API_KEY } })).status,
		).toBe(503);
		for (let i = 0; i < 9; i++) expect((await disconnect({ token })).status).toBe(200);
		expect((await disconnect({ token })).status).toBe(429);
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(queue.of(orgId)).toEqual([]);
		expect((await history(token)).body).toEqual({ events: [], nextCursor: null });
	});

	it("a platform service's report says so: by { service: 'reportRejected' }", async () => {
		const queue = watchQueue();
		const { orgId, token } = await admin();
		const apiKey = await newCloseApiKey();
		const { connectedAt } = (await saveSettings({ token, body: { provider: "close", apiKey } })).body as {
			connectedAt: string;
		};
		expect(await exports.CrmCredentials.reportRejected(orgId, { connectedAt, reason: "forbidden" })).toBe(
			true,
		);
		await queue.until(orgId, 2);
		expect(queue.of(orgId)[1]).toMatchObject({
			type: "health_changed",
			by: { service: "reportRejected" },
			health: { from: "unverified", to: "rejected" },
		});
	});
});

describe("delivery", () => {
	it("a send that fails is retried by the owner's alarm until the queue takes it: delivered once", async () => {
		const queue = watchQueue(2);
		const { orgId, token } = await admin();
		expect(
			(await saveSettings({ token, body: { provider: "close", apiKey: GOOD_CLOSE_API_KEY } })).status,
		).toBe(200);
		const owner = env.CRM_OWNER.get(env.CRM_OWNER.idFromName(orgId));
		// The first attempt (right after the save) failed; the alarm tries again: fails, then succeeds.
		await vi.waitFor(async () => expect(await runDurableObjectAlarm(owner)).toBe(true), {
			timeout: 2000,
			interval: 5,
		});
		expect(queue.of(orgId)).toEqual([]);
		expect(await runDurableObjectAlarm(owner)).toBe(true);
		expect(queue.of(orgId).map((event) => event.type)).toEqual(["connected"]);
		// Nothing left to send: no alarm, and no second delivery.
		expect(await runDurableObjectAlarm(owner)).toBe(false);
		expect(queue.of(orgId)).toHaveLength(1);
	});

	it("an event recorded while a send is under way goes out in that delivery, and no alarm is left", async () => {
		let release = () => {};
		const queue = watchQueue(0, new Promise<void>((resolve) => (release = resolve)));
		const { orgId, token } = await admin();
		expect(
			(await saveSettings({ token, body: { provider: "close", apiKey: GOOD_CLOSE_API_KEY } })).status,
		).toBe(200);
		// `connected` is on its way to the queue (held) when the disconnect records its event.
		expect((await disconnect({ token })).status).toBe(200);
		release();
		await queue.until(orgId, 2);
		expect(queue.of(orgId).map((event) => event.type)).toEqual(["connected", "disconnected"]);
		const owner = env.CRM_OWNER.get(env.CRM_OWNER.idFromName(orgId));
		expect(await runDurableObjectAlarm(owner)).toBe(false);
		expect(queue.of(orgId)).toHaveLength(2);
	});

	it("in order per organization under concurrent writes: the queue gets them in the order Clerk acknowledged them", async () => {
		const queue = watchQueue();
		const { orgId, token } = await admin();
		const keys = await Promise.all(Array.from({ length: 8 }, () => newCloseApiKey()));
		const answers = await Promise.all(
			keys.map((apiKey) => saveSettings({ token, body: { provider: "close", apiKey } })),
		);
		expect(answers.every((answer) => answer.status === 200)).toBe(true);
		await queue.until(orgId, 8);
		const events = queue.of(orgId) as unknown as { seq: number; connection: { apiKeyId: string } }[];
		expect(events.map((event) => event.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
		const patches = (await clerkCalls(orgId)).filter((call) => call.method === "PATCH");
		const written = patches.map(
			(call) =>
				(call.body as { private_metadata: { crm: { apiKeyId: string } } }).private_metadata.crm.apiKeyId,
		);
		expect(events.map((event) => event.connection.apiKeyId)).toEqual(written);
	});
});

describe("GET …/settings/history", () => {
	it("pages newest first with ?limit= and ?cursor=, to a null nextCursor", async () => {
		watchQueue();
		const { token } = await admin();
		for (let i = 0; i < 5; i++) {
			await saveSettings({ token, body: { provider: "bullhorn", apiKey: `bh-history-key-000${i}` } });
		}
		const seqs = (response: ApiResponse) =>
			(response.body as { events: { seq: number }[] }).events.map((event) => event.seq);
		const first = await history(token, "?limit=2");
		expect(seqs(first)).toEqual([5, 4]);
		const cursor = (first.body as { nextCursor: string }).nextCursor;
		expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
		const second = await history(token, `?limit=2&cursor=${cursor}`);
		expect(seqs(second)).toEqual([3, 2]);
		const last = await history(
			token,
			`?limit=2&cursor=${(second.body as { nextCursor: string }).nextCursor}`,
		);
		expect(seqs(last)).toEqual([1]);
		expect((last.body as { nextCursor: null }).nextCursor).toBeNull();
		expect(seqs(await history(token))).toEqual([5, 4, 3, 2, 1]);
	});

	it("403 for a member; another organization's history is its own (empty)", async () => {
		watchQueue();
		const { orgId, token } = await admin();
		await saveSettings({ token, body: { provider: "close", apiKey: GOOD_CLOSE_API_KEY } });
		const member = await history(await tokenFor(orgId, { role: "org:member" }));
		expect(member.status).toBe(403);
		expect(member.body).toEqual(errorBody(member, "FORBIDDEN", EXPECTED_MESSAGES.writeRoleRequired));
		const other = await admin();
		expect((await history(other.token)).body).toEqual({ events: [], nextCursor: null });
	});

	it.each([
		["?limit=0", "limit", "limit must be a whole number from 1 to 100"],
		["?limit=101", "limit", "limit must be a whole number from 1 to 100"],
		["?limit=ten", "limit", "limit must be a whole number from 1 to 100"],
		["?cursor=not*a*cursor", "cursor", "cursor must be a nextCursor this API gave"],
		["?cursor=abc", "cursor", "cursor must be a nextCursor this API gave"],
		["?since=yesterday", "since", "since is not a known field"],
	])("%s → 400 naming the parameter", async (query, path, message) => {
		const { token } = await admin();
		const refused = await history(token, query);
		expect(refused.body).toEqual(
			errorBody(refused, "VALIDATION_ERROR", "Query parameters are invalid", [{ path, message }]),
		);
	});

	it("no key, token or secret in any event or history body", async () => {
		const queue = watchQueue();
		const watch = watchForLeaks();
		const { orgId, token } = await admin();
		const apiKey = await newCloseApiKey();
		watch.apiKey(apiKey);
		await watch.call("POST", { token, body: { provider: "close", apiKey, verify: true } });
		await watch.call("DELETE", { token });
		await queue.until(orgId, 2);
		await watch.send(new Request(HISTORY_URL, { headers: { Authorization: `Bearer ${token}` } }));
		const secretPart = apiKey.split(".")[1] as string;
		expect(JSON.stringify(queue.of(orgId))).not.toContain(secretPart);
		watch.expectNoLeaks();
		expect((await getSettings({ token })).status).toBe(200);
	});
});
