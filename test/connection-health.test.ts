/**
 * Connection health: the `status` and `checkedAt` GET shows, the admin's re-check
 * (`POST …/crm/settings/verify`) and a platform service's `reportRejected` over RPC. Each through the
 * public interface, against the emulator's Clerk and Close.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { EXPECTED_MESSAGES, NOT_CONNECTED } from "./constants.ts";
import {
	type ApiResponse,
	disconnect,
	errorBody,
	getSettings,
	recheck,
	saveSettings,
} from "./support/api.ts";
import {
	clerkCalls,
	closeCalls,
	newCloseApiKey,
	newOrganization,
	organization,
	queueCloseFaults,
	revokeCloseApiKey,
} from "./support/emulator.ts";
import { useInProcessEmulator } from "./support/in-process-emulator.ts";
import { captureLogs } from "./support/logs.ts";
import { tokenFor } from "./support/tokens.ts";

const credentials = exports.CrmCredentials;
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** An organization with a Close key connected (unverified) by an admin, and the admin's token. */
async function connectedToClose(verify = false) {
	const orgId = await newOrganization();
	const token = await tokenFor(orgId, { userId: "user_health" });
	const apiKey = await newCloseApiKey();
	const saved = await saveSettings({ token, body: { provider: "close", apiKey, verify } });
	expect(saved.status).toBe(200);
	const { connectedAt } = saved.body as { connectedAt: string };
	return { orgId, token, apiKey, connectedAt };
}

/** GET's body for the Close connection of `connectedToClose`, with the health fields given. */
function closeSettings(apiKey: string, connectedAt: string, health: Record<string, string>) {
	return {
		connected: true,
		provider: "close",
		connectedAt,
		apiKeyMasked: `${"*".repeat(20)}${apiKey.slice(-4)}`,
		apiKeyId: apiKey.split(".")[0],
		connectedBy: "user_health",
		...health,
	};
}

describe("POST /api/v1/operations/crm/settings/verify", () => {
	it("flips a key revoked in Close to rejected: 200, the status in Clerk, and GET shows it at once", async () => {
		const { orgId, token, apiKey, connectedAt } = await connectedToClose(true);
		expect((await getSettings({ token })).body).toEqual(
			closeSettings(apiKey, connectedAt, {
				verifiedAt: connectedAt,
				status: "verified",
				checkedAt: connectedAt,
			}),
		);
		await revokeCloseApiKey(apiKey);

		const checked = await recheck({ token });
		expect(checked.status).toBe(200);
		const { checkedAt } = checked.body as { checkedAt: string };
		expect(checkedAt).toMatch(ISO_MS);
		expect(checkedAt > connectedAt).toBe(true);
		// verifiedAt stays: the last time Close accepted the key.
		const rejected = closeSettings(apiKey, connectedAt, {
			verifiedAt: connectedAt,
			status: "rejected",
			checkedAt,
		});
		expect(checked.body).toEqual(rejected);
		expect((await getSettings({ token })).body).toEqual(rejected);
		// Connected still, the key untouched: only the health fields were written.
		expect((await organization(orgId)).private_metadata.crm).toEqual({
			provider: "close",
			apiKey,
			apiKeyLast4: apiKey.slice(-4),
			apiKeyId: apiKey.split(".")[0],
			connectedAt,
			connectedBy: "user_health",
			verifiedAt: connectedAt,
			status: "rejected",
			checkedAt,
		});
		const patches = (await clerkCalls(orgId)).filter((call) => call.method === "PATCH");
		expect(patches.at(-1)?.body).toEqual({ private_metadata: { crm: { status: "rejected", checkedAt } } });
		expect(await closeCalls(apiKey)).toHaveLength(2);
	});

	it("marks a key Close accepts as verified, and when", async () => {
		const { token, apiKey, connectedAt } = await connectedToClose();
		expect((await getSettings({ token })).body).toEqual(
			closeSettings(apiKey, connectedAt, { status: "unverified" }),
		);
		const checked = await recheck({ token });
		expect(checked.status).toBe(200);
		const { checkedAt } = checked.body as { checkedAt: string };
		const verified = closeSettings(apiKey, connectedAt, {
			verifiedAt: checkedAt,
			status: "verified",
			checkedAt,
		});
		expect(checked.body).toEqual(verified);
		expect((await getSettings({ token })).body).toEqual(verified);
	});

	it("opens a sealed key inside the Worker to check it", async () => {
		const ring = { CRM_ENCRYPTION_KEYS: "k2026:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" };
		const orgId = await newOrganization();
		const token = await tokenFor(orgId, { userId: "user_health" });
		const apiKey = await newCloseApiKey();
		const saved = await saveSettings({ token, body: { provider: "close", apiKey }, env: ring });
		expect((await organization(orgId)).private_metadata.crm).toMatchObject({ apiKey: { kid: "k2026" } });
		const checked = await recheck({ token, env: ring });
		expect(checked.status).toBe(200);
		expect(checked.body).toMatchObject({ status: "verified" });
		expect(await closeCalls(apiKey)).toHaveLength(1);
		expect(saved.status).toBe(200);
	});

	it("Bullhorn: 400 with the same explanation as a save with verify, nothing written", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId);
		await saveSettings({ token, body: { provider: "bullhorn", apiKey: "bh-secret-key-0000abc1" } });
		const before = await organization(orgId);
		const response = await recheck({ token });
		expect(response.status).toBe(400);
		expect(response.body).toEqual(
			errorBody(response, "VALIDATION_ERROR", EXPECTED_MESSAGES.bullhornUncheckable),
		);
		expect(await organization(orgId)).toEqual(before);
	});

	it("nothing connected: 404, and Close is never called", async () => {
		const orgId = await newOrganization();
		const response = await recheck({ token: await tokenFor(orgId) });
		expect(response.status).toBe(404);
		expect(response.body).toEqual(errorBody(response, "NOT_FOUND", EXPECTED_MESSAGES.nothingToCheck));
		expect((await clerkCalls(orgId)).map((call) => call.method)).toEqual(["GET"]);
	});

	it("a member may not re-check: 403, before any Clerk or Close call", async () => {
		const { orgId, apiKey } = await connectedToClose();
		const callsBefore = (await clerkCalls(orgId)).length;
		const response = await recheck({ token: await tokenFor(orgId, { role: "org:member" }) });
		expect(response.status).toBe(403);
		expect(response.body).toEqual(errorBody(response, "FORBIDDEN", EXPECTED_MESSAGES.writeRoleRequired));
		expect(await clerkCalls(orgId)).toHaveLength(callsBefore);
		expect(await closeCalls(apiKey)).toEqual([]);
	});

	it("Close unreachable: 503 with Retry-After, the status unchanged", async () => {
		const clock = useInProcessEmulator();
		const { orgId, token, apiKey } = await connectedToClose();
		const before = await organization(orgId);
		await queueCloseFaults(apiKey, [{ status: 503 }, { status: 503 }, { status: 503 }]);
		const { value: response } = await clock.timed(() => recheck({ token }));
		expect(response.status).toBe(503);
		expect(response.body).toEqual(
			errorBody(response, "UPSTREAM_UNAVAILABLE", EXPECTED_MESSAGES.closeUnreachableOnCheck),
		);
		expect(response.headers.get("Retry-After")).toBe("30");
		expect(await organization(orgId)).toEqual(before);
	});

	it("a sealed key whose key id the ring lacks: 500, and the log says why (never the key)", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId);
		const apiKey = await newCloseApiKey();
		const old = { CRM_ENCRYPTION_KEYS: "k2025:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" };
		await saveSettings({ token, body: { provider: "close", apiKey }, env: old });
		const logs = captureLogs();
		const response = await recheck({
			token,
			env: { CRM_ENCRYPTION_KEYS: "k2026:HxwdHhscGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=" },
		});
		expect(response.status).toBe(500);
		expect(response.body).toEqual(errorBody(response, "INTERNAL_ERROR", EXPECTED_MESSAGES.internal));
		expect(logs.entries()[0]).toMatchObject({
			level: "error",
			msg: "stored key does not open",
			problem: 'the record was sealed with key "k2025", which the key ring lacks',
		});
		expect(logs.lines.join("\n")).not.toContain(apiKey.split(".")[1]);
		expect(await closeCalls(apiKey)).toEqual([]);
	});
});

describe("a connection changed while its key is checked", () => {
	/** Makes `change` happen while the Worker waits for Close's answer to the check of `apiKey`. */
	function duringTheCheck(apiKey: string, change: () => Promise<ApiResponse>) {
		const realFetch = globalThis.fetch;
		const changed: ApiResponse[] = [];
		vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
			const request = new Request(input, init);
			const isCheck = new URL(request.url).pathname === "/api/v1/me/";
			if (isCheck && request.headers.get("Authorization")?.includes(btoa(`${apiKey}:`)) && !changed.length) {
				changed.push(await change());
			}
			return realFetch(request);
		});
		return changed;
	}

	it("removed meanwhile: stays removed, and the check answers 404 (nothing to check any more)", async () => {
		const { orgId, token, apiKey } = await connectedToClose();
		const changed = duringTheCheck(apiKey, () => disconnect({ token }));
		const checked = await recheck({ token });
		expect(changed.map((response) => response.status)).toEqual([200]);
		expect(checked.status).toBe(404);
		expect(checked.body).toEqual(errorBody(checked, "NOT_FOUND", EXPECTED_MESSAGES.nothingToCheck));
		expect((await getSettings({ token })).body).toEqual(NOT_CONNECTED);
		expect((await organization(orgId)).private_metadata).toEqual({});
	});

	it("replaced meanwhile: the new key keeps its own status, not the outcome of the old key's check", async () => {
		const { orgId, token, apiKey } = await connectedToClose();
		await revokeCloseApiKey(apiKey);
		const newKey = await newCloseApiKey();
		const changed = duringTheCheck(apiKey, () =>
			saveSettings({ token, body: { provider: "close", apiKey: newKey } }),
		);
		const checked = await recheck({ token });
		expect(changed.map((response) => response.status)).toEqual([200]);
		const { connectedAt } = (changed[0] as ApiResponse).body as { connectedAt: string };
		const replaced = closeSettings(newKey, connectedAt, { status: "unverified" });
		expect(checked.body).toEqual(replaced);
		expect((await getSettings({ token })).body).toEqual(replaced);
		// As the save wrote it (Clerk's merge drops the fields it set to null), with no trace of the check.
		expect((await organization(orgId)).private_metadata).toEqual({
			crm: {
				provider: "close",
				apiKey: newKey,
				apiKeyLast4: newKey.slice(-4),
				apiKeyId: newKey.split(".")[0],
				connectedAt,
				connectedBy: "user_health",
				status: "unverified",
			},
		});
	});

	it("a check that landed just after a disconnect (its fields alone in Clerk) reads as nothing connected", async () => {
		const orgId = await newOrganization({
			private_metadata: { crm: { status: "rejected", checkedAt: "2026-01-15T10:30:00.000Z" } },
		});
		const token = await tokenFor(orgId);
		expect((await getSettings({ token })).body).toEqual(NOT_CONNECTED);
		const response = await recheck({ token });
		expect(response.status).toBe(404);
		expect(response.body).toEqual(errorBody(response, "NOT_FOUND", EXPECTED_MESSAGES.nothingToCheck));
		expect(await credentials.getCredential(orgId)).toBeNull();
	});
});

describe("CrmCredentials.reportRejected over a service binding", () => {
	it("marks the connection rejected: GET and getCredential show it, and a repeat writes nothing", async () => {
		const { orgId, token, apiKey, connectedAt } = await connectedToClose(true);
		const credential = await credentials.getCredential(orgId);
		expect(credential).toEqual({
			provider: "close",
			apiKey,
			apiKeyId: apiKey.split(".")[0],
			connectedAt,
			status: "verified",
			checkedAt: connectedAt,
		});

		expect(await credentials.reportRejected(orgId, { connectedAt, reason: "unauthorized" })).toBe(true);
		const read = await getSettings({ token });
		const { checkedAt } = read.body as { checkedAt: string };
		expect(checkedAt > connectedAt).toBe(true);
		expect(read.body).toEqual(
			closeSettings(apiKey, connectedAt, { verifiedAt: connectedAt, status: "rejected", checkedAt }),
		);
		expect(await credentials.getCredential(orgId)).toEqual({ ...credential, status: "rejected", checkedAt });

		const patches = async () => (await clerkCalls(orgId)).filter((call) => call.method === "PATCH").length;
		const written = await patches();
		expect(await credentials.reportRejected(orgId, { connectedAt, reason: "forbidden" })).toBe(true);
		expect(await patches()).toBe(written);
	});

	it("a report about a connection since replaced, or none, changes nothing: false", async () => {
		const { orgId, token, connectedAt } = await connectedToClose();
		const replaced = await saveSettings({
			token,
			body: { provider: "bullhorn", apiKey: "bh-secret-key-0000abc1" },
		});
		expect(replaced.status).toBe(200);
		const before = await organization(orgId);
		expect(await credentials.reportRejected(orgId, { connectedAt, reason: "unauthorized" })).toBe(false);
		expect(await organization(orgId)).toEqual(before);
		expect((await getSettings({ token })).body).toMatchObject({ provider: "bullhorn", status: "unverified" });

		const empty = await newOrganization();
		expect(await credentials.reportRejected(empty, { connectedAt, reason: "unauthorized" })).toBe(false);
	});

	it("refuses a malformed report or organization id with a clear error, writing nothing", async () => {
		const { orgId, connectedAt } = await connectedToClose();
		const before = await organization(orgId);
		const refusal = (call: Promise<unknown>) =>
			call.then(
				() => "resolved",
				(error: Error) => error.message,
			);
		expect(
			await refusal(credentials.reportRejected(orgId, { connectedAt, reason: "timeout" as "unauthorized" })),
		).toBe("report.reason must be one of unauthorized, forbidden");
		expect(
			await refusal(
				credentials.reportRejected(orgId, { reason: "unauthorized" } as {
					connectedAt: string;
					reason: "unauthorized";
				}),
			),
		).toBe("report.connectedAt must be the connectedAt getCredential gave");
		expect(
			await refusal(credentials.reportRejected("org_x/../y", { connectedAt, reason: "unauthorized" })),
		).toBe("orgId is not a Clerk organization id (org_ followed by letters and digits)");
		expect(await organization(orgId)).toEqual(before);
	});
});
