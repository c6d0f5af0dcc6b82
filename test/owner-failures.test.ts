/**
 * The organization's owner remembers Clerk's failures: after Clerk throttles, fails, knows no such
 * organization or holds an unreadable record, no new Clerk call is made for the organization until
 * Clerk's `Retry-After` (or 10 s) has passed, and GETs meanwhile answer a stale copy or the remembered
 * failure. And getCredential is answered from the owner's copy of the sealed record while it is fresh.
 * Time is the fake clock of the in-process emulator.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Fault } from "../emulator/faults.ts";
import { EXPECTED_MESSAGES } from "./constants.ts";
import { type ApiResponse, errorBody, getSettings, recheck, saveSettings } from "./support/api.ts";
import {
	clerkCalls,
	closeCalls,
	newCloseApiKey,
	newOrganization,
	queueClerkFaults,
	writeInClerk,
} from "./support/emulator.ts";
import { type FakeClock, useInProcessEmulator } from "./support/in-process-emulator.ts";
import { captureLogs } from "./support/logs.ts";
import { tokenFor } from "./support/tokens.ts";

const STORED = {
	provider: "close",
	apiKey: "api_failures00.secretfailures000000000",
	apiKeyLast4: "0000",
	apiKeyId: "api_failures00",
	connectedAt: "2026-01-15T10:30:00.000Z",
};
const STORED_BODY = {
	connected: true,
	provider: "close",
	connectedAt: "2026-01-15T10:30:00.000Z",
	apiKeyMasked: "********************0000",
	apiKeyId: "api_failures00",
	status: "unverified",
};
const TTL_MS = 30_000;
const clerkReads = async (orgId: string) =>
	(await clerkCalls(orgId)).filter((call) => call.method === "GET").length;
const times = (count: number, fault: Fault) => Array.from({ length: count }, () => fault);

/** 20 GETs one after the other, then 200 at once, each on the fake clock standing still. */
async function flood(clock: FakeClock, token: string): Promise<ApiResponse[]> {
	const answers: ApiResponse[] = [];
	for (let i = 0; i < 20; i++) answers.push((await clock.timed(() => getSettings({ token }))).value);
	const { value } = await clock.timed(() =>
		Promise.all(Array.from({ length: 200 }, () => getSettings({ token }))),
	);
	return [...answers, ...value];
}

describe("Clerk throttling (a sticky 429 with Retry-After: 10)", () => {
	it("costs one Clerk call for 220 GETs, each answered 503 with the wait left; after the wait, Clerk is asked again", async () => {
		const clock = useInProcessEmulator();
		const orgId = await newOrganization({ private_metadata: { crm: STORED } });
		const token = await tokenFor(orgId, { expiresInSeconds: 3600 });
		await queueClerkFaults(orgId, times(30, { status: 429, retryAfter: "10" }));

		const answers = await flood(clock, token);
		expect(await clerkReads(orgId)).toBe(1);
		const [first] = answers as [ApiResponse];
		expect(first.body).toEqual(errorBody(first, "UPSTREAM_UNAVAILABLE", EXPECTED_MESSAGES.clerkUnavailable));
		expect(new Set(answers.map((answer) => `${answer.status} ${answer.headers.get("Retry-After")}`))).toEqual(
			new Set(["503 10"]),
		);

		clock.setTime(Date.now() + 9_000);
		expect((await clock.timed(() => getSettings({ token }))).value.headers.get("Retry-After")).toBe("1");
		expect(await clerkReads(orgId)).toBe(1);
		clock.setTime(Date.now() + 1_000);
		await clock.timed(() => getSettings({ token }));
		expect(await clerkReads(orgId)).toBe(2);
	});
});

describe("a Clerk outage (503) with a copy at hand", () => {
	it("costs one Clerk read (its 3 attempts) for 220 GETs, each answered from the copy", async () => {
		const clock = useInProcessEmulator();
		const orgId = await newOrganization({ private_metadata: { crm: STORED } });
		const token = await tokenFor(orgId, { expiresInSeconds: 3600 });
		await clock.timed(() => getSettings({ token }));
		clock.setTime(Date.now() + TTL_MS);
		await queueClerkFaults(orgId, times(30, { status: 503 }));
		const logs = captureLogs();

		const answers = await flood(clock, token);
		expect((await clerkCalls(orgId)).length).toBe(1 + 3);
		expect(new Set(answers.map((answer) => answer.status))).toEqual(new Set([200]));
		expect(answers.every((answer) => JSON.stringify(answer.body) === JSON.stringify(STORED_BODY))).toBe(true);
		// Each stale answer says so in the log, with the cause Clerk gave the one read.
		const stale = logs.entries().filter((entry) => entry.msg === "served stale settings");
		expect(stale).toHaveLength(220);
		expect(stale[219]).toMatchObject({ ageSeconds: 30, cause: { problem: "clerk: HTTP 503", attempts: 3 } });
	});
});

describe("results that are failures", () => {
	it("an organization Clerk does not know: one Clerk call for 220 GETs, each 404", async () => {
		const clock = useInProcessEmulator();
		const orgId = `org_${crypto.randomUUID().replaceAll("-", "")}`;
		const token = await tokenFor(orgId, { expiresInSeconds: 3600 });
		const answers = await flood(clock, token);
		expect(await clerkReads(orgId)).toBe(1);
		const [first] = answers as [ApiResponse];
		expect(first.body).toEqual(errorBody(first, "NOT_FOUND", EXPECTED_MESSAGES.organizationNotInClerk));
		expect(new Set(answers.map((answer) => answer.status))).toEqual(new Set([404]));
	});

	it("an unreadable record: one Clerk call for 220 GETs, each 500; a save repairs it at once", async () => {
		const clock = useInProcessEmulator();
		const orgId = await newOrganization({ private_metadata: { crm: { provider: "hubspot" } } });
		const token = await tokenFor(orgId, { expiresInSeconds: 3600 });
		const answers = await flood(clock, token);
		expect(await clerkReads(orgId)).toBe(1);
		expect(new Set(answers.map((answer) => answer.status))).toEqual(new Set([500]));

		const apiKey = await newCloseApiKey();
		const { value: saved } = await clock.timed(() =>
			saveSettings({ token, body: { provider: "close", apiKey } }),
		);
		expect(saved.status).toBe(200);
		expect((await clock.timed(() => getSettings({ token }))).value.body).toMatchObject({
			connected: true,
			apiKeyId: apiKey.split(".")[0],
		});
		expect(await clerkReads(orgId)).toBe(1);
	});
});

describe("getCredential answered by the owner", () => {
	it("asks Clerk once per CRM_CACHE_TTL_SECONDS for an organization asked repeatedly, and shows a save at once", async () => {
		const clock = useInProcessEmulator();
		const orgId = await newOrganization({ private_metadata: { crm: STORED } });
		const token = await tokenFor(orgId, { expiresInSeconds: 3600 });
		// A Close credential (the RPC's type is a union: an API key, or a Bullhorn session).
		const credential = async () =>
			(await exports.CrmCredentials.getCredential(orgId)) as { apiKey: string } | null;
		const { value: answers } = await clock.timed(() => Promise.all(Array.from({ length: 100 }, credential)));
		expect(new Set(answers.map((answer) => answer?.apiKey))).toEqual(new Set([STORED.apiKey]));
		expect(await clerkReads(orgId)).toBe(1);

		const apiKey = await newCloseApiKey();
		await clock.timed(() => saveSettings({ token, body: { provider: "close", apiKey } }));
		expect((await clock.timed(credential)).value).toMatchObject({ apiKey });
		expect(await clerkReads(orgId)).toBe(1);

		clock.setTime(Date.now() + TTL_MS);
		await writeInClerk(orgId, { crm: null });
		expect((await clock.timed(credential)).value).toBeNull();
		expect(await clerkReads(orgId)).toBe(2);
	});
});

describe("the re-check with CRM_ENCRYPTION_KEYS set", () => {
	it("refuses a plaintext key planted in the metadata, as getCredential does: 500, Close never called", async () => {
		const orgId = await newOrganization();
		const apiKey = await newCloseApiKey();
		await writeInClerk(orgId, { crm: { ...STORED, apiKey, apiKeyId: apiKey.split(".")[0] } });
		const env = { CRM_ENCRYPTION_KEYS: "k2026:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" };
		const logs = captureLogs();
		const response = await recheck({ token: await tokenFor(orgId), env });
		expect(response.status).toBe(500);
		expect(response.body).toEqual(errorBody(response, "INTERNAL_ERROR", EXPECTED_MESSAGES.internal));
		expect(await closeCalls(apiKey)).toEqual([]);
		expect(logs.entries()[0]).toMatchObject({ level: "error", msg: "plaintext key refused" });
		// Nothing was written: the connection keeps its status.
		expect((await getSettings({ token: await tokenFor(orgId), env })).body).toMatchObject({
			connected: true,
			status: "unverified",
		});
	});
});
