/**
 * The key-rotation job, run as its Cron Trigger runs it (the Worker's `scheduled` handler), against a
 * Clerk of its own: the in-process emulator under an origin no other test uses, so the job walks only
 * this test's organizations and its cursor (one per Clerk API URL) starts fresh.
 */
import {
	createExecutionContext,
	createScheduledController,
	env,
	waitOnExecutionContext,
} from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createEmulator, type Emulator } from "../emulator/emulator.ts";
import { decryptApiKey, sealApiKey } from "../src/crypto/api-key-envelope.ts";
import { parseKeyRing } from "../src/crypto/key-ring.ts";
import worker from "../src/index.ts";
import { TEST_CLERK_SECRET_KEY } from "./constants.ts";
import { type ApiResponse, disconnect } from "./support/api.ts";
import { captureLogs } from "./support/logs.ts";
import { tokenFor } from "./support/tokens.ts";

const OLD = "k2025:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const NEW = "k2026:HxwdHhscGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";
const ROTATED = `${NEW},${OLD}`;
const realFetch = globalThis.fetch;
let clerks = 0;

afterEach(() => {
	vi.unstubAllGlobals();
});

/**
 * A Clerk for this test alone: the emulator answering at an origin of its own. `afterPageRead` runs once
 * a page of organizations has been answered, before the job goes on: what an admin might do meanwhile;
 * `afterAnswer` likewise after any call, with its path.
 */
function ownClerk(
	afterPageRead?: (clerk: Emulator) => Promise<void>,
	afterAnswer?: (path: string) => Promise<void>,
) {
	const clerk = createEmulator({ secretKey: TEST_CLERK_SECRET_KEY });
	const url = `https://clerk-${++clerks}-${crypto.randomUUID().slice(0, 8)}.rotation.test`;
	vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
		const request = new Request(input, init);
		if (!request.url.startsWith(url)) return realFetch(request);
		const response = await clerk.fetch(request);
		const { pathname } = new URL(request.url);
		if (afterPageRead && pathname === "/v1/organizations") await afterPageRead(clerk);
		await afterAnswer?.(pathname);
		return response;
	});
	return { clerk, url };
}

/** A write to the organization's private metadata, as the settings API makes it (Clerk's deep merge). */
async function adminWrites(clerk: Emulator, orgId: string, privateMetadata: Record<string, unknown>) {
	const response = await clerk.fetch(
		new Request(`https://clerk.test/v1/organizations/${orgId}/metadata`, {
			method: "PATCH",
			headers: { Authorization: `Bearer ${TEST_CLERK_SECRET_KEY}`, "Content-Type": "application/json" },
			body: JSON.stringify({ private_metadata: privateMetadata }),
		}),
	);
	if (!response.ok) throw new Error(`emulated admin write: ${response.status}`);
}

async function control(clerk: Emulator, method: string, path: string, body?: unknown) {
	const response = await clerk.fetch(
		new Request(`http://control/__emulator${path}`, {
			method,
			headers: { "Content-Type": "application/json" },
			...(body === undefined ? {} : { body: JSON.stringify(body) }),
		}),
	);
	return response.status === 204 ? undefined : response.json();
}

async function organizationWith(clerk: Emulator, crm?: unknown, id = newOrgId()): Promise<string> {
	const seed = { id, ...(crm === undefined ? {} : { private_metadata: { crm, other: "kept" } }) };
	await control(clerk, "POST", "/organizations", seed);
	return id;
}

const newOrgId = () => `org_${crypto.randomUUID().replaceAll("-", "")}`;

const crmOf = (clerk: Emulator, orgId: string) =>
	clerk.organizations.get(orgId)?.private_metadata.crm as Record<string, unknown> & { apiKey: unknown };

/** A Close record of `orgId` whose key is sealed with `ring`'s first key. */
async function sealedRecord(orgId: string, ring: string, apiKey: string) {
	const keyRing = parseKeyRing(ring);
	if (!keyRing) throw new Error("test ring");
	return {
		provider: "close",
		apiKey: await sealApiKey(apiKey, orgId, keyRing),
		apiKeyLast4: apiKey.slice(-4),
		connectedAt: "2026-01-15T10:30:00.000Z",
		connectedBy: "user_before",
	};
}

/** Organizations whose keys the old key sealed, with each one's key (`api_rot<n>.secret…`), oldest first. */
async function sealedWithOld(clerk: Emulator, count: number) {
	const keys = new Map<string, string>();
	for (let i = 0; i < count; i++) {
		const orgId = newOrgId();
		const apiKey = `api_rot${i}.secret${i}secret${i}secret${i}`;
		await organizationWith(clerk, await sealedRecord(orgId, OLD, apiKey), orgId);
		keys.set(orgId, apiKey);
	}
	return keys;
}

/** One run of the Cron Trigger with this configuration. */
async function cronRun(vars: Record<string, string>) {
	const ctx = createExecutionContext();
	await worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), { ...env, ...vars } as Env, ctx);
	await waitOnExecutionContext(ctx);
}

describe("the key-rotation job", () => {
	it("re-seals every record of an old key id under the current one, within its Clerk budget per run, until the pass is complete", async () => {
		const { clerk, url } = ownClerk();
		const keys = await sealedWithOld(clerk, 7);
		const currentId = newOrgId();
		const current = await organizationWith(
			clerk,
			await sealedRecord(currentId, NEW, "api_cur.currentcurrent"),
			currentId,
		);
		const plaintext = await organizationWith(clerk, {
			provider: "bullhorn",
			apiKey: "bh-plain-key-000000",
			connectedAt: "2026-01-15T10:30:00.000Z",
		});
		const unreadable = await organizationWith(clerk, { provider: "hubspot" });
		await organizationWith(clerk);
		const before = {
			plaintext: crmOf(clerk, plaintext),
			unreadable: crmOf(clerk, unreadable),
			current: crmOf(clerk, current),
		};
		const vars = { CLERK_API_URL: url, CRM_ENCRYPTION_KEYS: ROTATED, CRM_ROTATION_CLERK_CALLS_PER_RUN: "5" };
		const logs = captureLogs();

		const callsPerRun: number[] = [];
		for (let run = 0; run < 10 && !logs.lines.some((line) => line.includes("pass complete")); run++) {
			const callsBefore = clerk.calls.length;
			await cronRun(vars);
			callsPerRun.push(clerk.calls.length - callsBefore);
		}
		// A page read per run and 7 re-seals (a fresh read and a write each), never more than 5 calls a run.
		expect(callsPerRun).toEqual([5, 5, 5, 3]);
		expect(Math.max(...callsPerRun)).toBeLessThanOrEqual(5);

		const ring = parseKeyRing(ROTATED);
		for (const [orgId, apiKey] of keys) {
			const crm = crmOf(clerk, orgId);
			expect(crm.apiKey).toMatchObject({ kid: "k2026" });
			expect(await decryptApiKey(crm, orgId, ring ?? undefined)).toBe(apiKey);
			expect(crm).toMatchObject({
				provider: "close",
				apiKeyLast4: apiKey.slice(-4),
				connectedBy: "user_before",
			});
			expect(clerk.organizations.get(orgId)?.private_metadata.other).toBe("kept");
		}
		// Plaintext is counted, never sealed (it could have been planted); the rest is left as it was.
		expect(crmOf(clerk, plaintext)).toEqual(before.plaintext);
		expect(crmOf(clerk, unreadable)).toEqual(before.unreadable);
		expect(crmOf(clerk, current)).toEqual(before.current);

		const entries = logs.entries();
		expect(entries.filter((entry) => entry.msg === "key rotation pass complete")).toEqual([
			{
				level: "info",
				msg: "key rotation pass complete",
				currentKid: "k2026",
				records: { k2026: 8, plaintext: 1, unreadable: 1 },
				resealed: 7,
				unopenable: 0,
				refused: 0,
			},
		]);
		expect(entries[0]).toEqual({
			level: "info",
			msg: "key rotation run",
			currentKid: "k2026",
			clerkCalls: 5,
			resealed: 2,
			// Newest first: the empty, unreadable, plaintext and current records, then two re-sealed.
			offset: 6,
			passSoFar: { k2026: 3, plaintext: 1, unreadable: 1 },
		});

		// The next run starts a new pass, and finds nothing left to do.
		const callsBefore = clerk.calls.length;
		await cronRun(vars);
		expect(clerk.calls.slice(callsBefore).map((call) => call.method)).toEqual(["GET"]);
	});

	it("stops at a throttled Clerk call and resumes there on the next run", async () => {
		const { clerk, url } = ownClerk();
		const keys = await sealedWithOld(clerk, 3);
		const [first] = [...keys.keys()].reverse(); // the newest is walked first
		await control(clerk, "POST", "/faults", {
			organization: first,
			faults: [{ status: 429, retryAfter: "30" }],
		});
		const vars = { CLERK_API_URL: url, CRM_ENCRYPTION_KEYS: ROTATED, CRM_ROTATION_CLERK_CALLS_PER_RUN: "10" };
		const logs = captureLogs();

		await cronRun(vars);
		expect(logs.entries()).toEqual([
			{
				level: "warn",
				msg: "key rotation run",
				currentKid: "k2026",
				clerkCalls: 2,
				resealed: 0,
				stoppedBy: "a Clerk call failed (clerk: HTTP 429); the next run resumes here",
				offset: 0,
				passSoFar: {},
			},
		]);
		// The organization's owner asks Clerk again only once Clerk's Retry-After has passed.
		await cronRun(vars);
		expect(crmOf(clerk, first as string).apiKey).toMatchObject({ kid: "k2025" });
		vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 30_000 });
		await cronRun(vars);
		vi.useRealTimers();
		for (const orgId of keys.keys()) expect(crmOf(clerk, orgId).apiKey).toMatchObject({ kid: "k2026" });
		expect(logs.entries().at(-1)).toMatchObject({
			msg: "key rotation pass complete",
			records: { k2026: 3 },
			resealed: 3,
		});
	});

	it("leaves a connection an admin removed after the page was read removed", async () => {
		let orgId = "";
		const { clerk, url } = ownClerk((clerk) => adminWrites(clerk, orgId, { crm: null }));
		[orgId] = [...(await sealedWithOld(clerk, 1)).keys()] as [string];
		const logs = captureLogs();
		await cronRun({ CLERK_API_URL: url, CRM_ENCRYPTION_KEYS: ROTATED });
		// Clerk's merge drops a key set to null.
		expect(clerk.organizations.get(orgId)?.private_metadata).toEqual({ other: "kept" });
		// The page, the admin's write, the job's fresh read of the record, and no write of the job's.
		expect(clerk.calls.map((call) => call.method)).toEqual(["GET", "PATCH", "GET"]);
		expect(logs.entries().at(-1)).toMatchObject({
			msg: "key rotation pass complete",
			records: {},
			resealed: 0,
		});
	});

	it("keeps a key an admin saved after the page was read, not the one the page showed", async () => {
		let orgId = "";
		let saved: unknown;
		const { clerk, url } = ownClerk(async (clerk) => {
			saved = await sealedRecord(orgId, NEW, "api_new.savedafterthepage");
			await adminWrites(clerk, orgId, { crm: saved });
		});
		[orgId] = [...(await sealedWithOld(clerk, 1)).keys()] as [string];
		await cronRun({ CLERK_API_URL: url, CRM_ENCRYPTION_KEYS: ROTATED });
		expect(crmOf(clerk, orgId)).toEqual(saved);
		expect(clerk.calls.map((call) => call.method)).toEqual(["GET", "PATCH", "GET"]);
	});

	it("walks on past an organization deleted after the page was read", async () => {
		let deleted = "";
		const { clerk, url } = ownClerk(async (clerk) => {
			clerk.organizations.delete(deleted);
		});
		const keys = await sealedWithOld(clerk, 2);
		[deleted] = [...keys.keys()].reverse() as [string]; // the newest, walked first
		const logs = captureLogs();
		await cronRun({ CLERK_API_URL: url, CRM_ENCRYPTION_KEYS: ROTATED });
		const [kept] = [...keys.keys()] as [string];
		expect(crmOf(clerk, kept).apiKey).toMatchObject({ kid: "k2026" });
		expect(logs.entries().at(-1)).toMatchObject({
			msg: "key rotation pass complete",
			records: { k2026: 1 },
			resealed: 1,
		});
	});

	it("passes over a record whose re-seal Clerk refuses (422, its 8 KB limit), counts it, and finishes the pass", async () => {
		const { clerk, url } = ownClerk();
		const keys = await sealedWithOld(clerk, 3);
		const [, refused] = [...keys.keys()] as [string, string, string];
		// The record's fresh read passes; its write is refused as too large.
		await control(clerk, "POST", "/faults", {
			organization: refused,
			faults: [{ kind: "metadata-limit", method: "PATCH" }],
		});
		const logs = captureLogs();
		await cronRun({ CLERK_API_URL: url, CRM_ENCRYPTION_KEYS: ROTATED });
		for (const [orgId] of keys) {
			expect(crmOf(clerk, orgId).apiKey).toMatchObject({ kid: orgId === refused ? "k2025" : "k2026" });
		}
		expect(logs.entries()).toEqual([
			{ level: "info", msg: "key rotation run", currentKid: "k2026", clerkCalls: 7, resealed: 2, refused: 1 },
			{
				level: "info",
				msg: "key rotation pass complete",
				currentKid: "k2026",
				records: { k2026: 2, k2025: 1 },
				resealed: 2,
				unopenable: 0,
				refused: 1,
			},
		]);
	});

	it("an admin's disconnect made while a record is re-sealed waits for the re-seal, and stays", async () => {
		let orgId = "";
		let disconnecting: Promise<ApiResponse> | undefined;
		const { clerk, url } = ownClerk(undefined, async (path) => {
			// Once the job's fresh read of the record is answered, the admin disconnects through the API.
			if (path === `/v1/organizations/${orgId}` && !disconnecting) {
				disconnecting = disconnect({
					token: await tokenFor(orgId),
					env: { CLERK_API_URL: url, CRM_ENCRYPTION_KEYS: ROTATED },
				});
			}
		});
		[orgId] = [...(await sealedWithOld(clerk, 1)).keys()] as [string];
		await cronRun({ CLERK_API_URL: url, CRM_ENCRYPTION_KEYS: ROTATED });
		expect((await disconnecting)?.status).toBe(200);
		expect(clerk.organizations.get(orgId)?.private_metadata).toEqual({ other: "kept" });
		// The page, the job's read and re-seal, then the admin's disconnect.
		const written = (body: unknown) => (body as { private_metadata: { crm: unknown } }).private_metadata.crm;
		const calls = clerk.calls.map((call) =>
			call.method === "GET" ? "GET" : `PATCH ${written(call.body) === null ? "null" : "record"}`,
		);
		expect(calls).toEqual(["GET", "GET", "PATCH record", "PATCH null"]);
	});

	it("re-seals a Bullhorn connection's refresh token and client secret together", async () => {
		const { clerk, url } = ownClerk();
		const orgId = newOrgId();
		const oldRing = parseKeyRing(OLD);
		if (!oldRing) throw new Error("test ring");
		const record = {
			provider: "bullhorn",
			apiUser: "acme.api",
			clientId: "acme-client",
			clientSecret: await sealApiKey("acme-client-secret", orgId, oldRing),
			refreshToken: await sealApiKey("5:refresh-token-0001", orgId, oldRing),
			oauthUrl: "https://auth-west.bullhornstaffing.com/oauth",
			restUrl: "https://rest-west.bullhornstaffing.com/rest-services",
			connectedAt: "2026-01-15T10:30:00.000Z",
			status: "verified",
		};
		await organizationWith(clerk, record, orgId);
		await cronRun({ CLERK_API_URL: url, CRM_ENCRYPTION_KEYS: ROTATED });
		const crm = crmOf(clerk, orgId) as Record<string, unknown>;
		expect(crm).toEqual({
			...record,
			clientSecret: expect.objectContaining({ kid: "k2026" }),
			refreshToken: expect.objectContaining({ kid: "k2026" }),
		});
		expect(await decryptApiKey({ apiKey: crm.refreshToken }, orgId, ROTATED)).toBe("5:refresh-token-0001");
		expect(await decryptApiKey({ apiKey: crm.clientSecret }, orgId, ROTATED)).toBe("acme-client-secret");
	});

	it("seals legacy plaintext records too when CRM_ROTATION_SEAL_PLAINTEXT is true, and only then", async () => {
		const { clerk, url } = ownClerk();
		const record = {
			provider: "bullhorn",
			apiKey: "bh-legacy-key-000000",
			connectedAt: "2026-01-15T10:30:00.000Z",
		};
		const orgId = await organizationWith(clerk, record);
		const vars = { CLERK_API_URL: url, CRM_ENCRYPTION_KEYS: ROTATED };
		await cronRun(vars);
		expect(crmOf(clerk, orgId)).toEqual(record);

		const logs = captureLogs();
		await cronRun({ ...vars, CRM_ROTATION_SEAL_PLAINTEXT: "true" });
		const crm = crmOf(clerk, orgId);
		expect(crm).toEqual({
			...record,
			apiKey: { v: 1, alg: "A256GCM", kid: "k2026", iv: expect.any(String), ct: expect.any(String) },
		});
		expect(await decryptApiKey(crm, orgId, ROTATED)).toBe("bh-legacy-key-000000");
		expect(logs.entries().at(-1)).toMatchObject({
			msg: "key rotation pass complete",
			records: { k2026: 1 },
			resealed: 1,
		});
	});

	it("leaves a record whose key id the ring lacks as it is, and counts it", async () => {
		const { clerk, url } = ownClerk();
		const orgId = newOrgId();
		const lost = await sealedRecord(
			orgId,
			"k2020:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
			"api_lost.lostlost",
		);
		await organizationWith(clerk, lost, orgId);
		const logs = captureLogs();
		await cronRun({ CLERK_API_URL: url, CRM_ENCRYPTION_KEYS: ROTATED });
		expect(crmOf(clerk, orgId)).toEqual(lost);
		expect(logs.entries().at(-1)).toMatchObject({
			msg: "key rotation pass complete",
			records: { k2020: 1 },
			resealed: 0,
			unopenable: 1,
		});
	});

	it("does nothing without a key ring, and says so", async () => {
		const { clerk, url } = ownClerk();
		await organizationWith(clerk, {
			provider: "bullhorn",
			apiKey: "bh-plain-key-000000",
			connectedAt: "2026-01-15T10:30:00.000Z",
		});
		const logs = captureLogs();
		await cronRun({ CLERK_API_URL: url });
		expect(clerk.calls).toEqual([]);
		expect(logs.entries()).toEqual([
			{
				level: "info",
				msg: "key rotation not run",
				reason: "CRM_ENCRYPTION_KEYS is not set: keys are stored in plaintext",
			},
		]);
	});

	it("never runs twice at once: a run that finds the lease held makes no Clerk call", async () => {
		const { clerk, url } = ownClerk();
		await sealedWithOld(clerk, 2);
		await control(clerk, "POST", "/faults", {
			organization: "organizations",
			faults: [{ kind: "slow", ms: 200 }],
		});
		const logs = captureLogs();
		const vars = { CLERK_API_URL: url, CRM_ENCRYPTION_KEYS: ROTATED };
		await Promise.all([cronRun(vars), cronRun(vars)]);
		expect(logs.entries().filter((entry) => entry.msg === "key rotation not run")).toEqual([
			{ level: "info", msg: "key rotation not run", reason: "another run holds the lease" },
		]);
		expect(clerk.calls.filter((call) => call.target === "organizations")).toHaveLength(1);
	});
});
