/**
 * Bullhorn by API user, through the public interface: connecting is signing in as Bullhorn documents
 * (against the emulator's Bullhorn), GET shows the connection, the re-check pings with a live session,
 * and the RPC hands the platform's Workers one shared REST session, refreshing it in one place.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, inject, it, vi } from "vitest";
import { decryptApiKey } from "../src/crypto/api-key-envelope.ts";
import { EXPECTED_MESSAGES, TEST_BULLHORN_CLIENT } from "./constants.ts";
import { type CallOptions, errorBody, getSettings, recheck, saveSettings } from "./support/api.ts";
import {
	bullhornCalls,
	bullhornUser,
	newBullhornUser,
	queueBullhornFaults,
	revokeRefreshTokens,
} from "./support/bullhorn.ts";
import { clerkCalls, newOrganization, organization, queueClerkFaults } from "./support/emulator.ts";
import { useInProcessEmulator } from "./support/in-process-emulator.ts";
import { type LeakWatch, watchForLeaks } from "./support/leaks.ts";
import { tokenFor } from "./support/tokens.ts";

const RING = "k2026:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const credentials = exports.CrmCredentials;

/** An organization, an admin's token, and a Bullhorn API user of its own. */
async function organizationWithApiUser(seed: Parameters<typeof newBullhornUser>[0] = {}) {
	const orgId = await newOrganization();
	const token = await tokenFor(orgId, { userId: "user_bullhorn", expiresInSeconds: 3600 });
	const user = await newBullhornUser(seed);
	return { orgId, token, ...user };
}

const connect = (
	token: string,
	body: Record<string, unknown>,
	options: Omit<CallOptions, "token" | "body"> = {},
) => saveSettings({ token, body: { provider: "bullhorn", ...body }, ...options });

/** GET's body for a Bullhorn connection by API user, verified when it was connected. */
function connectedSettings(username: string, connectedAt: string, health: Record<string, string> = {}) {
	return {
		connected: true,
		provider: "bullhorn",
		connectedAt,
		apiKeyMasked: "*".repeat(24),
		apiUser: username,
		dataCenter: "127.0.0.1",
		connectedBy: "user_bullhorn",
		verifiedAt: connectedAt,
		status: "verified",
		checkedAt: connectedAt,
		...health,
	};
}

describe("connecting Bullhorn by API user", () => {
	it("signs in as Bullhorn documents and keeps what signing in again needs, never the password", async () => {
		const { orgId, token, username, password } = await organizationWithApiUser();
		const saved = await connect(token, { username, password });
		expect(saved.status).toBe(200);
		const { connectedAt } = saved.body as { connectedAt: string };
		expect(saved.body).toEqual({ success: true, provider: "bullhorn", connectedAt, verified: true });
		expect(connectedAt).toMatch(ISO);
		expect((await getSettings({ token })).body).toEqual(connectedSettings(username, connectedAt));

		// loginInfo, authorize, token, REST login; each call's parameters by name only.
		expect(
			(await bullhornCalls(username)).map(
				(call) => `${call.method} ${call.endpoint} ${call.params.join(",")}`,
			),
		).toEqual([
			"GET loginInfo username",
			"POST authorize action,client_id,password,response_type,username",
			"POST token client_id,client_secret,code,grant_type",
			"POST login access_token,ttl,version",
		]);
		const crm = (await organization(orgId)).private_metadata.crm as Record<string, unknown>;
		expect(crm).toEqual({
			provider: "bullhorn",
			apiUser: username,
			clientId: TEST_BULLHORN_CLIENT.id,
			refreshToken: expect.any(String),
			oauthUrl: `${inject("emulatorUrl")}/oauth`,
			restUrl: `${inject("emulatorUrl")}/rest-services`,
			connectedAt,
			connectedBy: "user_bullhorn",
			verifiedAt: connectedAt,
			status: "verified",
			checkedAt: connectedAt,
		});
		expect(JSON.stringify(crm)).not.toContain(password);
	});

	it("with CRM_ENCRYPTION_KEYS, seals the refresh token and the organization's own client secret", async () => {
		const clientSecret = `own-secret-${crypto.randomUUID()}`;
		const clientId = `own-client-${crypto.randomUUID().slice(0, 8)}`;
		const { orgId, token, username, password } = await organizationWithApiUser({ clientId, clientSecret });
		const env = { CRM_ENCRYPTION_KEYS: RING };
		const saved = await connect(token, { username, password, clientId, clientSecret }, { env });
		expect(saved.status).toBe(200);
		const crm = (await organization(orgId)).private_metadata.crm as Record<string, unknown>;
		const envelope = { v: 1, alg: "A256GCM", kid: "k2026", iv: expect.any(String), ct: expect.any(String) };
		expect(crm).toMatchObject({ clientId, clientSecret: envelope, refreshToken: envelope });
		expect(await decryptApiKey({ apiKey: crm.clientSecret }, orgId, RING)).toBe(clientSecret);
		expect(JSON.stringify(crm)).not.toContain(password);
		expect(JSON.stringify(crm)).not.toContain(clientSecret);
	});

	it.each([
		["a wrong password", {}, (user: { password: string }) => ({ password: `${user.password}-wrong` })],
		["an API user that has not accepted Bullhorn's terms", { termsAccepted: false }, () => ({})],
	])("%s → 400 naming Bullhorn and both causes; nothing stored", async (_case, seed, body) => {
		const user = await organizationWithApiUser(seed);
		const refused = await connect(user.token, {
			username: user.username,
			password: user.password,
			...body(user),
		});
		expect(refused.status).toBe(400);
		expect(refused.body).toEqual(
			errorBody(refused, "VALIDATION_ERROR", EXPECTED_MESSAGES.bullhornSignInRefused),
		);
		expect(await clerkCalls(user.orgId)).toEqual([]);
	});

	it("the organization's own client refused → 400; nothing stored", async () => {
		const clientId = `own-client-${crypto.randomUUID().slice(0, 8)}`;
		const user = await organizationWithApiUser({ clientId, clientSecret: "the-right-secret-000" });
		const refused = await connect(user.token, {
			username: user.username,
			password: user.password,
			clientId,
			clientSecret: "a-wrong-secret-00000",
		});
		expect(refused.body).toEqual(
			errorBody(refused, "VALIDATION_ERROR", EXPECTED_MESSAGES.bullhornClientRefused),
		);
		expect(await clerkCalls(user.orgId)).toEqual([]);
	});

	it("the platform's client refused → 500, and the log names BULLHORN_CLIENT_ID and BULLHORN_CLIENT_SECRET", async () => {
		const user = await organizationWithApiUser();
		const watch = watchForLeaks();
		const refused = await watch.send(
			new Request("https://crm.example.com/api/v1/operations/crm/settings", {
				method: "POST",
				headers: { Authorization: `Bearer ${user.token}`, "Content-Type": "application/json" },
				body: JSON.stringify({ provider: "bullhorn", username: user.username, password: user.password }),
			}),
			{ BULLHORN_CLIENT_SECRET: "not-the-platform-secret" },
		);
		expect(refused.body).toEqual(errorBody(refused, "INTERNAL_ERROR", EXPECTED_MESSAGES.internal));
		expect(watch.logs.entries()[0]).toEqual({
			level: "error",
			msg: "configuration error",
			problem: "Bullhorn refused the platform's client: check BULLHORN_CLIENT_ID and BULLHORN_CLIENT_SECRET",
			requestId: refused.headers.get("X-Request-Id"),
		});
		expect(await clerkCalls(user.orgId)).toEqual([]);
	});

	it("no client configured and none given → 400 saying so, before any call to Bullhorn", async () => {
		const user = await organizationWithApiUser();
		const refused = await connect(
			user.token,
			{ username: user.username, password: user.password },
			{ env: { BULLHORN_CLIENT_ID: "", BULLHORN_CLIENT_SECRET: "" } },
		);
		expect(refused.body).toEqual(errorBody(refused, "VALIDATION_ERROR", EXPECTED_MESSAGES.bullhornNoClient));
		expect(await bullhornCalls(user.username)).toEqual([]);
	});

	it("Bullhorn failing past its retries → 503 with Retry-After, nothing stored", async () => {
		const clock = useInProcessEmulator();
		const user = await organizationWithApiUser();
		await queueBullhornFaults(user.username, [{ status: 503 }, { status: 503 }, { status: 503 }]);
		const { value: refused } = await clock.timed(() =>
			connect(user.token, { username: user.username, password: user.password }),
		);
		expect(refused.status).toBe(503);
		expect(refused.headers.get("Retry-After")).toBe("10");
		expect(refused.body).toEqual(
			errorBody(refused, "UPSTREAM_UNAVAILABLE", EXPECTED_MESSAGES.bullhornUnreachable),
		);
		expect(await clerkCalls(user.orgId)).toEqual([]);
	});

	it("follows loginInfo's documented 307 to the API user's data center", async () => {
		const user = await organizationWithApiUser({ dataCenter: "dc2" });
		const saved = await connect(user.token, { username: user.username, password: user.password });
		expect(saved.status).toBe(200);
		const crm = (await organization(user.orgId)).private_metadata.crm as Record<string, unknown>;
		expect(crm.oauthUrl).toBe(`${inject("emulatorUrl")}/dc2/oauth`);
	});
});

describe("where the password may go", () => {
	const LOGIN_INFO = "https://rest.bullhornstaffing.com/rest-services/loginInfo";

	it.each([
		["another host", "https://evil.example/oauth"],
		["plain http", "http://auth.bullhornstaffing.com/oauth"],
		["a look-alike domain", "https://auth.bullhornstaffing.com.evil.example/oauth"],
		["loopback, while loginInfo is not", "http://127.0.0.1:9/oauth"],
	])("a loginInfo naming %s is refused before any password is sent (500)", async (_case, oauthUrl) => {
		const sent: string[] = [];
		const realFetch = globalThis.fetch;
		vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
			const request = new Request(input, init);
			if (
				!request.url.includes("bullhornstaffing.com") &&
				!request.url.includes("evil.example") &&
				!request.url.includes(":9/")
			) {
				return realFetch(request);
			}
			sent.push(`${request.method} ${request.url.split("?")[0]}`);
			return Response.json({ oauthUrl, restUrl: "https://rest9.bullhornstaffing.com/rest-services" });
		});
		const user = await organizationWithApiUser();
		const refused = await connect(
			user.token,
			{ username: user.username, password: user.password },
			{ env: { BULLHORN_LOGIN_INFO_URL: LOGIN_INFO } },
		);
		expect(refused.status).toBe(500);
		expect(sent).toEqual([`GET ${LOGIN_INFO}`]);
	});
});

/**
 * A connected API user, an hour later (the session over: the next caller needs a refresh), with Clerk
 * refusing the next write past its retries (it cannot take the new refresh token). On the fake clock.
 */
async function connectedThenClerkFailing() {
	const clock = useInProcessEmulator();
	const user = await organizationWithApiUser();
	const { value: saved } = await clock.timed(() =>
		connect(user.token, { username: user.username, password: user.password }),
	);
	clock.setTime(Date.now() + 60 * 60_000);
	await queueClerkFaults(user.orgId, [
		{ status: 503, method: "PATCH" },
		{ status: 503, method: "PATCH" },
		{ status: 503, method: "PATCH" },
	]);
	const credential = async () => await credentials.getCredential(user.orgId);
	return { clock, user, saved, credential };
}

describe("the token broker (getCredential)", () => {
	it("hands out one REST session to every caller: 50 calls at once → one refresh and one REST login", async () => {
		const user = await organizationWithApiUser();
		const saved = await connect(user.token, { username: user.username, password: user.password });
		const { connectedAt } = saved.body as { connectedAt: string };
		const before = (await bullhornCalls(user.username)).length;
		const answers = await Promise.all(
			Array.from({ length: 50 }, () => credentials.getCredential(user.orgId)),
		);
		// The session made when connecting is the one handed out: no login at all.
		expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
		expect(answers[0]).toEqual({
			provider: "bullhorn",
			apiUser: user.username,
			restUrl: expect.stringMatching(/\/rest-services\/[^/]+\/$/),
			bhRestToken: expect.any(String),
			expiresAt: expect.stringMatching(ISO),
			connectedAt,
			status: "verified",
			checkedAt: connectedAt,
		});
		expect((await bullhornCalls(user.username)).length).toBe(before);
		expect((await bullhornUser(user.username)).liveSessions).toBe(1);
	});

	it("when the session nears its end, 50 calls and 4 re-checks at once → one refresh and one REST login", async () => {
		const user = await organizationWithApiUser();
		await connect(user.token, { username: user.username, password: user.password });
		const before = (await bullhornCalls(user.username)).length;
		// 56 of the session's 60 minutes later: less than the 5 minutes it must have left to be handed out.
		vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 56 * 60_000 });
		try {
			const [answers, checks] = await Promise.all([
				Promise.all(Array.from({ length: 50 }, () => credentials.getCredential(user.orgId))),
				Promise.all(Array.from({ length: 4 }, () => recheck({ token: user.token }))),
			]);
			expect(new Set(answers.map((answer) => (answer as { bhRestToken: string }).bhRestToken)).size).toBe(1);
			expect(checks.map((check) => check.status)).toEqual([200, 200, 200, 200]);
		} finally {
			vi.useRealTimers();
		}
		const after = (await bullhornCalls(user.username)).slice(before);
		expect(after.map((call) => call.endpoint).sort()).toEqual([
			"login",
			"ping",
			"ping",
			"ping",
			"ping",
			"token",
		]);
		// No refresh token spent twice: the one from connecting was used once, and its successor is live.
		expect((await bullhornUser(user.username)).refreshTokens).toEqual({ valid: 1, used: 1, revoked: 0 });
	});

	it("three re-checks in a row stay verified", async () => {
		const user = await organizationWithApiUser();
		const saved = await connect(user.token, { username: user.username, password: user.password });
		const { connectedAt } = saved.body as { connectedAt: string };
		for (let i = 0; i < 3; i++) {
			const checked = await recheck({ token: user.token });
			expect(checked.status).toBe(200);
			expect(checked.body).toEqual(
				connectedSettings(user.username, connectedAt, {
					verifiedAt: expect.stringMatching(ISO),
					checkedAt: expect.stringMatching(ISO),
				}),
			);
		}
	});

	it("reportRejected → one new login; a refresh token Bullhorn refuses (invalid_grant) → rejected, and getCredential says to reconnect", async () => {
		const user = await organizationWithApiUser();
		const saved = await connect(user.token, { username: user.username, password: user.password });
		const { connectedAt } = saved.body as { connectedAt: string };
		const first = (await credentials.getCredential(user.orgId)) as { bhRestToken: string };
		// A report in the first seconds of a session is taken to be about the one before it.
		expect(await credentials.reportRejected(user.orgId, { connectedAt, reason: "unauthorized" })).toBe(false);
		expect((await credentials.getCredential(user.orgId)) as { bhRestToken: string }).toEqual(first);

		vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 20_000 });
		try {
			expect(await credentials.reportRejected(user.orgId, { connectedAt, reason: "unauthorized" })).toBe(
				false,
			);
			const second = (await credentials.getCredential(user.orgId)) as { bhRestToken: string };
			expect(second.bhRestToken).not.toBe(first.bhRestToken);
			await revokeRefreshTokens(user.username);
			vi.setSystemTime(Date.now() + 20_000);
			expect(await credentials.reportRejected(user.orgId, { connectedAt, reason: "unauthorized" })).toBe(
				true,
			);
		} finally {
			vi.useRealTimers();
		}
		expect((await getSettings({ token: user.token })).body).toMatchObject({ status: "rejected" });
		// Caught at once: an RPC promise handed to `expect(…).rejects` is left unhandled across the binding.
		const refusal = await credentials.getCredential(user.orgId).then(
			() => undefined,
			(error: Error) => error.message,
		);
		expect(refusal).toBe(EXPECTED_MESSAGES.bullhornReconnect);
	});

	it("a refresh token rotated while Clerk fails is kept by the owner, and the connection works once Clerk is back", async () => {
		const { clock, user, saved, credential } = await connectedThenClerkFailing();
		expect(saved.status).toBe(200);
		const { value: during } = await clock.timed(credential);
		expect(during).toMatchObject({ provider: "bullhorn", bhRestToken: expect.any(String) });
		// Clerk still holds the spent refresh token; the owner holds the new one, and prefers it.
		clock.setTime(Date.now() + 60 * 60_000);
		const { value: after } = await clock.timed(credential);
		expect(after).toMatchObject({ provider: "bullhorn" });
		expect((after as { bhRestToken: string }).bhRestToken).not.toBe(
			(during as { bhRestToken: string }).bhRestToken,
		);
		expect((await bullhornUser(user.username)).refreshTokens.valid).toBe(1);
	});

	it("a re-check written while the newest refresh token waits for Clerk takes it to Clerk", async () => {
		const { clock, user, saved, credential } = await connectedThenClerkFailing();
		const { connectedAt } = saved.body as { connectedAt: string };
		// A refresh while Clerk fails: the new refresh token waits in the owner's storage.
		await clock.timed(credential);
		// Clerk is back: a re-check with the session held writes its outcome, and the token with it.
		clock.setTime(Date.now() + 11_000);
		const token = await tokenFor(user.orgId, { userId: "user_bullhorn" });
		const { value: checked } = await clock.timed(() => recheck({ token }));
		expect(checked.body).toEqual(
			connectedSettings(user.username, connectedAt, {
				verifiedAt: expect.stringMatching(ISO),
				checkedAt: expect.stringMatching(ISO),
			}),
		);
		// The owner's copy is past its time and the session past its end: the next refresh starts from
		// Clerk's record, which must hold the token Bullhorn has not spent.
		clock.setTime(Date.now() + 60 * 60_000);
		const { value: after } = await clock.timed(credential);
		expect(after).toMatchObject({ provider: "bullhorn", status: "verified" });
		expect((await bullhornUser(user.username)).refreshTokens).toEqual({ valid: 1, used: 2, revoked: 0 });
	});
});

describe("secrets", () => {
	it("the password and the client secrets appear in no response and no log line", async () => {
		const watch: LeakWatch = watchForLeaks();
		const clientId = `own-client-${crypto.randomUUID().slice(0, 8)}`;
		const clientSecret = `own-secret-${crypto.randomUUID()}`;
		const user = await organizationWithApiUser({ clientId, clientSecret });
		watch.secret(user.password);
		watch.secret(clientSecret);
		watch.secret(TEST_BULLHORN_CLIENT.secret);
		const body = { provider: "bullhorn", username: user.username, password: user.password };
		await watch.call("POST", { token: user.token, body: { ...body, password: `${user.password}x` } });
		await watch.call("POST", {
			token: user.token,
			body: { ...body, clientId, clientSecret: `${clientSecret}x` },
		});
		await watch.call("POST", { token: user.token, body: { ...body, clientId, clientSecret } });
		await watch.call("GET", { token: user.token });
		await watch.call("POST", {
			token: user.token,
			url: "https://crm.example.com/api/v1/operations/crm/settings/verify",
		});
		await credentials.getCredential(user.orgId);
		watch.expectNoLeaks();
	});
});
