/**
 * Operations on one organization that meet: each race is played deterministically by holding one
 * upstream call with the emulator's `slow` fault (Clerk or Close answers, and applies what it was sent,
 * only after that long) and starting the other operation while it is held. Time is the fake clock of
 * the in-process emulator, so a hold costs no real time.
 */
import { createExecutionContext, env as workerEnv } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CrmCredentials } from "../src/rpc/credentials.ts";
import { EXPECTED_MESSAGES, NOT_CONNECTED } from "./constants.ts";
import { disconnect, errorBody, getSettings, recheck, saveSettings } from "./support/api.ts";
import { newBullhornUser } from "./support/bullhorn.ts";
import {
	clerkCalls,
	closeCalls,
	newCloseApiKey,
	newOrganization,
	organization,
	queueClerkFaults,
	queueCloseFaults,
	writeInClerk,
} from "./support/emulator.ts";
import { type FakeClock, useInProcessEmulator } from "./support/in-process-emulator.ts";
import { tokenFor } from "./support/tokens.ts";

const credentials = exports.CrmCredentials;

/** Waits (in real turns, while the fake clock stands) until `condition` holds: the held call has been made. */
async function until(condition: () => Promise<boolean>): Promise<void> {
	for (let turn = 0; turn < 200; turn++) {
		if (await condition()) return;
		await scheduler.wait(1);
	}
	throw new Error("the condition never held");
}

const madeCall =
	(calls: () => Promise<unknown[]>, count = 1) =>
	async () =>
		(await calls()).length >= count;

/** An organization with a Close key connected by an admin (unverified), its token, key and connection. */
async function connected() {
	const orgId = await newOrganization();
	const token = await tokenFor(orgId, { userId: "user_racer" });
	const apiKey = await newCloseApiKey();
	const saved = await saveSettings({ token, body: { provider: "close", apiKey } });
	expect(saved.status).toBe(200);
	return { orgId, token, apiKey, connectedAt: (saved.body as { connectedAt: string }).connectedAt };
}

/** GET's body for a Close key saved by `user_racer`, unverified. */
function unverified(apiKey: string, connectedAt: string) {
	return {
		connected: true,
		provider: "close",
		connectedAt,
		apiKeyMasked: `${"*".repeat(20)}${apiKey.slice(-4)}`,
		apiKeyId: apiKey.split(".")[0],
		connectedBy: "user_racer",
		status: "unverified",
	};
}

/** The record Clerk keeps for such a key (Clerk's merge drops the fields saved as null). */
function storedUnverified(apiKey: string, connectedAt: string) {
	return {
		provider: "close",
		apiKey,
		apiKeyLast4: apiKey.slice(-4),
		apiKeyId: apiKey.split(".")[0],
		connectedAt,
		connectedBy: "user_racer",
		status: "unverified",
	};
}

const storedCrm = async (orgId: string) => (await organization(orgId)).private_metadata.crm;

describe("a re-check meets a save or a disconnect", () => {
	/** Clerk holds the re-check's write of its outcome; `meanwhile` runs while it is held. */
	async function whileTheOutcomeIsHeld<T>(
		clock: FakeClock,
		{ orgId, token }: { orgId: string; token: string },
		meanwhile: () => Promise<T>,
	) {
		await queueClerkFaults(orgId, [{ kind: "slow", ms: 1500, method: "PATCH" }]);
		const patchesBefore = (await clerkCalls(orgId)).filter((call) => call.method === "PATCH").length;
		const patches = async () => (await clerkCalls(orgId)).filter((call) => call.method === "PATCH");
		const { value } = await clock.timed(async () => {
			const checking = recheck({ token });
			await until(madeCall(patches, patchesBefore + 1));
			const other = await meanwhile();
			return { checked: await checking, other };
		});
		return value;
	}

	it("a key saved while the outcome is on its way to Clerk keeps its own status", async () => {
		const clock = useInProcessEmulator();
		const connection = await connected();
		const { orgId, token, apiKey, connectedAt } = connection;
		const newKey = await newCloseApiKey();
		const { checked, other: saved } = await whileTheOutcomeIsHeld(clock, connection, () =>
			saveSettings({ token, body: { provider: "close", apiKey: newKey } }),
		);
		// The re-check's outcome belongs to the key it checked, and was written before the save.
		expect(checked.body).toMatchObject({ ...unverified(apiKey, connectedAt), status: "verified" });
		const savedAt = (saved.body as { connectedAt: string }).connectedAt;
		expect(await storedCrm(orgId)).toEqual(storedUnverified(newKey, savedAt));
		expect((await getSettings({ token })).body).toEqual(unverified(newKey, savedAt));
		expect(await credentials.getCredential(orgId)).toMatchObject({ apiKey: newKey, status: "unverified" });
	});

	it("a disconnect while the outcome is on its way to Clerk stays a disconnect: nothing is left in Clerk", async () => {
		const clock = useInProcessEmulator();
		const connection = await connected();
		const { orgId, token } = connection;
		const { checked, other: removed } = await whileTheOutcomeIsHeld(clock, connection, () =>
			disconnect({ token }),
		);
		expect(checked.status).toBe(200);
		expect(removed.status).toBe(200);
		expect(await storedCrm(orgId)).toBeUndefined();
		expect((await getSettings({ token })).body).toEqual(NOT_CONNECTED);
	});

	it("a key saved while Close checks the old one is left as it was saved", async () => {
		const clock = useInProcessEmulator();
		const { orgId, token, apiKey } = await connected();
		const newKey = await newCloseApiKey();
		await queueCloseFaults(apiKey, [{ kind: "slow", ms: 1500 }]);

		const { value } = await clock.timed(async () => {
			const checking = recheck({ token });
			await until(madeCall(() => closeCalls(apiKey)));
			const saved = await saveSettings({ token, body: { provider: "close", apiKey: newKey } });
			return { checked: await checking, saved };
		});
		const { connectedAt } = value.saved.body as { connectedAt: string };
		// The re-check answers what is connected now, unchanged.
		expect(value.checked.status).toBe(200);
		expect(value.checked.body).toEqual(unverified(newKey, connectedAt));
		expect(await storedCrm(orgId)).toEqual(storedUnverified(newKey, connectedAt));
	});

	it("a disconnect while Close checks the key: 404 for the re-check", async () => {
		const clock = useInProcessEmulator();
		const { orgId, token, apiKey } = await connected();
		await queueCloseFaults(apiKey, [{ kind: "slow", ms: 1500 }]);

		const { value } = await clock.timed(async () => {
			const checking = recheck({ token });
			await until(madeCall(() => closeCalls(apiKey)));
			const removed = await disconnect({ token });
			return { checked: await checking, removed };
		});
		expect(value.removed.status).toBe(200);
		expect(value.checked.status).toBe(404);
		expect(value.checked.body).toEqual(
			errorBody(value.checked, "NOT_FOUND", EXPECTED_MESSAGES.nothingToCheck),
		);
		expect(await storedCrm(orgId)).toBeUndefined();
	});
});

describe("a service's rejection report meets a save", () => {
	it("marks the connection it named, never the one saved meanwhile", async () => {
		const clock = useInProcessEmulator();
		// Saved outside this API (the owner has no copy): the report reads it from Clerk, and that read is held.
		const orgId = await newOrganization();
		const token = await tokenFor(orgId, { userId: "user_racer" });
		const oldKey = await newCloseApiKey();
		const connectedAt = "2026-11-01T10:00:00.000Z";
		await writeInClerk(orgId, { crm: { provider: "close", apiKey: oldKey, connectedAt } });
		const newKey = await newCloseApiKey();
		await queueClerkFaults(orgId, [{ kind: "slow", ms: 1500 }]);

		const { value } = await clock.timed(async () => {
			const reporting = credentials.reportRejected(orgId, { connectedAt, reason: "unauthorized" });
			// The first call is writeInClerk's own.
			await until(madeCall(() => clerkCalls(orgId), 2));
			const saved = await saveSettings({ token, body: { provider: "close", apiKey: newKey } });
			return { reported: await reporting, saved };
		});
		expect(value.reported).toBe(true);
		const saved = value.saved.body as { connectedAt: string };
		expect(await storedCrm(orgId)).toEqual(storedUnverified(newKey, saved.connectedAt));
		expect((await getSettings({ token })).body).toEqual(unverified(newKey, saved.connectedAt));
	});
});

describe("an acknowledged write stays", () => {
	it("a save whose first attempt passed its timeout, then a disconnect: the late attempt lands before the disconnect is sent", async () => {
		const clock = useInProcessEmulator();
		const orgId = await newOrganization();
		const token = await tokenFor(orgId);
		const apiKey = await newCloseApiKey();
		// Past the 2.5 s attempt timeout: retried at once, and applied by Clerk half a second later.
		await queueClerkFaults(orgId, [{ kind: "slow", ms: 3000 }]);

		const { value, elapsedMs } = await clock.timed(async () => {
			const saved = await saveSettings({ token, body: { provider: "close", apiKey } });
			const removed = await disconnect({ token });
			return { saved, removed };
		});
		expect(value.saved.status).toBe(200);
		expect(value.removed.status).toBe(200);
		// The disconnect waited for the abandoned attempt (landed at 3 s) before it was sent.
		expect(elapsedMs).toBeGreaterThanOrEqual(3000);
		expect(await storedCrm(orgId)).toBeUndefined();
		expect((await clerkCalls(orgId)).map((call) => call.method)).toEqual(["PATCH", "PATCH", "PATCH"]);
		expect((await getSettings({ token })).body).toEqual(NOT_CONNECTED);
	});

	it("an attempt that never answers holds later writes for one budget, then they answer 503 and send nothing", async () => {
		const clock = useInProcessEmulator();
		const orgId = await newOrganization();
		const token = await tokenFor(orgId, { expiresInSeconds: 3600 });
		await queueClerkFaults(orgId, [{ kind: "hang" }]);
		const { value: saved } = await clock.timed(() =>
			saveSettings({ token, body: { provider: "bullhorn", apiKey: "bh-held-key-000000000" } }),
		);
		expect(saved.status).toBe(200);
		const { value: removed, elapsedMs } = await clock.timed(() => disconnect({ token }));
		expect(elapsedMs).toBe(5000);
		expect(removed.status).toBe(503);
		expect(removed.body).toEqual(
			errorBody(removed, "UPSTREAM_UNAVAILABLE", EXPECTED_MESSAGES.clerkUnavailable),
		);
		expect((await clerkCalls(orgId)).map((call) => call.method)).toEqual(["PATCH", "PATCH"]);
	});
});

describe("read-your-writes with CRM_CACHE_TTL_SECONDS=0", () => {
	it("a GET after an acknowledged save shows it, though a Clerk read from before the save was still in flight", async () => {
		const clock = useInProcessEmulator();
		const orgId = await newOrganization();
		const token = await tokenFor(orgId, { userId: "user_racer" });
		const env = { CRM_CACHE_TTL_SECONDS: "0" };
		const apiKey = await newCloseApiKey();
		await queueClerkFaults(orgId, [{ kind: "slow", ms: 1500 }]);

		const { value } = await clock.timed(async () => {
			const before = getSettings({ token, env });
			await until(madeCall(() => clerkCalls(orgId)));
			const saved = await saveSettings({ token, env, body: { provider: "close", apiKey } });
			const after = await getSettings({ token, env });
			return { before: await before, saved, after };
		});
		const { connectedAt } = value.saved.body as { connectedAt: string };
		expect(value.before.body).toEqual(NOT_CONNECTED);
		expect(value.after.body).toEqual(unverified(apiKey, connectedAt));
	});
	it("getCredential for a Bullhorn API user meets a disconnect queued behind its read: null, and the disconnect stands", async () => {
		const clock = useInProcessEmulator();
		const orgId = await newOrganization();
		const token = await tokenFor(orgId, { userId: "user_racer" });
		const user = await newBullhornUser();
		const { value: saved } = await clock.timed(() =>
			saveSettings({
				token,
				body: { provider: "bullhorn", username: user.username, password: user.password },
			}),
		);
		expect(saved.status).toBe(200);
		const env = { ...workerEnv, CRM_CACHE_TTL_SECONDS: "0" } as Env;
		const rpc = new CrmCredentials(createExecutionContext(), env);
		await queueClerkFaults(orgId, [{ kind: "slow", ms: 1500, method: "GET" }]);

		const { value } = await clock.timed(async () => {
			const reads = (await clerkCalls(orgId)).length;
			const credential = rpc.getCredential(orgId);
			await until(madeCall(() => clerkCalls(orgId), reads + 1));
			const disconnected = await disconnect({ token, env: { CRM_CACHE_TTL_SECONDS: "0" } });
			return { credential: await credential, disconnected };
		});
		expect(value.disconnected.body).toEqual({ success: true, disconnected: true });
		expect(value.credential).toBeNull();
		expect(await storedCrm(orgId)).toBeUndefined();
	});
});

describe("saves at once", () => {
	it("20 saves at once: 10 written, 10 over the limit, and Clerk, GET and the RPC name the same key", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId, { userId: "user_racer" });
		const keys = await Promise.all(Array.from({ length: 20 }, () => newCloseApiKey()));
		const answers = await Promise.all(
			keys.map((apiKey) => saveSettings({ token, body: { provider: "close", apiKey } })),
		);
		expect(answers.filter((answer) => answer.status === 200)).toHaveLength(10);
		expect(answers.filter((answer) => answer.status === 429)).toHaveLength(10);
		const patches = (await clerkCalls(orgId)).filter((call) => call.method === "PATCH");
		expect(patches).toHaveLength(10);
		const stored = (await storedCrm(orgId)) as { apiKey: string; connectedAt: string };
		// The write Clerk received last is the one it keeps, and the one everything else shows.
		const lastWritten = patches.at(-1)?.body as { private_metadata: { crm: { apiKey: string } } } | undefined;
		expect(lastWritten?.private_metadata.crm.apiKey).toBe(stored.apiKey);
		expect((await getSettings({ token })).body).toEqual(unverified(stored.apiKey, stored.connectedAt));
		expect(await credentials.getCredential(orgId)).toMatchObject({ apiKey: stored.apiKey });
	});
});
