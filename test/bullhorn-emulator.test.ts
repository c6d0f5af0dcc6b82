/**
 * The emulator plays Bullhorn's login services as Bullhorn documents them (emulator/bullhorn.ts names the
 * source of each behaviour): loginInfo and its 307 to another data center, OAuth authorize and token,
 * the REST login and ping. Each test drives an emulator of its own, in this isolate, as the Worker would.
 */
import { describe, expect, it, onTestFinished, vi } from "vitest";
import type { BullhornCall, BullhornFault, BullhornUserSeed } from "../emulator/bullhorn.ts";
import { createEmulator } from "../emulator/emulator.ts";
import { TEST_CLERK_SECRET_KEY } from "./constants.ts";

const ORIGIN = "http://bullhorn.test";
const USER = {
	username: "acme.api",
	password: "pa55word-acme",
	clientId: "3f6a1c2e-client",
	clientSecret: "s3cret-of-the-key",
	corpToken: "acme1",
} satisfies BullhornUserSeed;

const TOKEN = /^11:[0-9a-f-]{36}$/;
const INVALID_CODE = {
	error: "invalid_grant",
	error_description: "Invalid, expired, or revoked authorization code.",
};
const INVALID_REFRESH_TOKEN = {
	error: "invalid_grant",
	error_description: "Invalid, expired, or revoked refresh token.",
};
const INVALID_CLIENT = { error: "invalid_client", error_description: "Client authentication failed." };
const INVALID_ACCESS_TOKEN = {
	errorMessage: "Invalid or expired OAuth access token.",
	errorMessageKey: "errors.authentication.invalidOAuthToken",
	errorCode: 400,
};
const INVALID_REST_TOKEN = {
	errorMessage: "Bad 'BhRestToken' or timed-out.",
	errorMessageKey: "errors.authentication.invalidRestToken",
	errorCode: 401,
};

/** An emulator of its own with one API user (USER, changed by `seed`), and the calls of the flow. */
async function bullhorn(seed: Partial<BullhornUserSeed> = {}) {
	const emulator = createEmulator({ secretKey: TEST_CLERK_SECRET_KEY });
	const send = async (path: string, init: RequestInit = {}) =>
		emulator.fetch(new Request(`${ORIGIN}${path}`, { redirect: "manual", ...init }));
	const control = async (method: string, path: string, body?: unknown) =>
		send(`/__emulator/bullhorn${path}`, {
			method,
			headers: { "Content-Type": "application/json" },
			...(body === undefined ? {} : { body: JSON.stringify(body) }),
		});
	const user = { ...USER, ...seed };
	expect((await control("POST", "/users", user)).status).toBe(201);

	const query = (params: Record<string, string>) => new URLSearchParams(params).toString();
	const authorize = (params: Record<string, string> = {}, prefix = "") =>
		send(
			`${prefix}/oauth/authorize?${query({
				client_id: user.clientId,
				response_type: "code",
				action: "Login",
				username: user.username,
				password: user.password,
				...params,
			})}`,
		);
	const codeOf = (response: Response) =>
		new URL(response.headers.get("Location") as string).searchParams.get("code") as string;
	const token = (params: Record<string, string>, prefix = "") =>
		send(
			`${prefix}/oauth/token?${query({ client_id: user.clientId, client_secret: user.clientSecret, ...params })}`,
			{ method: "POST" },
		);
	const tokensFor = async (prefix = "") => {
		const code = codeOf(await authorize({}, prefix));
		const response = await token({ grant_type: "authorization_code", code }, prefix);
		expect(response.status).toBe(200);
		return (await response.json()) as { access_token: string; refresh_token: string };
	};
	const login = (accessToken: string, params: Record<string, string> = {}, prefix = "") =>
		send(`${prefix}/rest-services/login?${query({ version: "*", access_token: accessToken, ...params })}`, {
			method: "POST",
		});
	const session = async (params: Record<string, string> = {}) => {
		const response = await login((await tokensFor()).access_token, params);
		expect(response.status).toBe(200);
		return (await response.json()) as { BhRestToken: string; restUrl: string };
	};
	const calls = async () =>
		((await (await control("GET", `/calls?username=${user.username}`)).json()) as { calls: BullhornCall[] })
			.calls;
	const queueFaults = (faults: BullhornFault[]) =>
		control("POST", "/faults", { username: user.username, faults });
	const state = async () =>
		(await (await control("GET", `/users/${user.username}`)).json()) as Record<string, unknown>;
	return {
		send,
		control,
		user,
		authorize,
		codeOf,
		token,
		tokensFor,
		login,
		session,
		calls,
		queueFaults,
		state,
	};
}

/** `Date` on a fake clock for this test, starting at `now`. */
function fakeClock(now = Date.UTC(2026, 0, 5, 9, 0, 0)) {
	vi.useFakeTimers({ toFake: ["Date"], now });
	onTestFinished(() => {
		vi.useRealTimers();
	});
	return { advance: (ms: number) => vi.setSystemTime(Date.now() + ms) };
}

function loginInfoOf(base: string, dataCenterId: number, superClusterId: number) {
	return {
		atsUrl: `${base}/ats`,
		billingSyncUrl: `${base}/billing-sync-services`,
		coreUrl: `${base}/core`,
		documentEditorUrl: `${base}/document/`,
		mobileUrl: `${base}/mobile`,
		oauthUrl: `${base}/oauth`,
		restUrl: `${base}/rest-services`,
		samlUrl: `${base}/BullhornStaffing/SAML/Login.cfm`,
		novoUrl: `${base}/novo`,
		pulseInboxUrl: `${base}/pulse-inbox`,
		canvasUrl: `${base}/canvas/cgi-bin/cognosisapi.dll`,
		npsSurveyUrl: `${base}/surveys{{path}}?sl=${superClusterId}&{{params}}`,
		ulUrl: `${base}/universal-login`,
		dataCenterId,
		superClusterId,
	};
}

describe("the emulated Bullhorn: loginInfo", () => {
	it("names the user's data center: the OAuth server's URL and the REST base", async () => {
		const { send } = await bullhorn();
		const response = await send(`/rest-services/loginInfo?username=${USER.username}`);
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual(loginInfoOf(ORIGIN, 1, 11));
	});

	it("answers 307 to the other data center for a user who lives there, which then answers its own URLs", async () => {
		const { send } = await bullhorn({ dataCenter: "dc2" });
		const redirected = await send(`/rest-services/loginInfo?username=${USER.username}`);
		expect(redirected.status).toBe(307);
		expect(redirected.headers.get("Location")).toBe(
			`${ORIGIN}/dc2/rest-services/loginInfo?username=${USER.username}`,
		);
		expect(await redirected.text()).toBe("");

		const response = await send(`/dc2/rest-services/loginInfo?username=${USER.username}`);
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual(loginInfoOf(`${ORIGIN}/dc2`, 2, 22));
	});

	it("builds its URLs on the origin the request came to", async () => {
		const emulator = createEmulator({ secretKey: TEST_CLERK_SECRET_KEY });
		const response = await emulator.fetch(
			new Request("http://127.0.0.1:8787/rest-services/loginInfo?username=anyone"),
		);
		expect(await response.json()).toEqual(loginInfoOf("http://127.0.0.1:8787", 1, 11));
	});
});

describe("the emulated Bullhorn: OAuth authorize", () => {
	it("signs the API user in and redirects with a single-use code and the client id", async () => {
		const { authorize } = await bullhorn();
		const response = await authorize({ state: "st-1" });
		expect(response.status).toBe(302);
		const location = response.headers.get("Location") as string;
		expect(location).toMatch(
			/^http:\/\/www\.bullhorn\.com\?code=11%3A[0-9a-f-]{36}&client_id=3f6a1c2e-client&state=st-1$/,
		);
		expect(await response.text()).toBe("");
	});

	it("takes the same parameters in a POST form, and redirects to the registered redirect URI", async () => {
		const { send } = await bullhorn({ redirectUris: ["https://app.example.com/bullhorn/callback"] });
		const response = await send("/oauth/authorize", {
			method: "POST",
			headers: { "Content-Type": "application/x-www-form-urlencoded" },
			body: new URLSearchParams({
				client_id: USER.clientId,
				response_type: "code",
				action: "Login",
				username: USER.username,
				password: USER.password,
				redirect_uri: "https://app.example.com/bullhorn/callback",
			}),
		});
		expect(response.status).toBe(302);
		expect(response.headers.get("Location")).toMatch(
			/^https:\/\/app\.example\.com\/bullhorn\/callback\?code=11%3A[0-9a-f-]{36}&client_id=3f6a1c2e-client$/,
		);
	});

	it("answers a wrong password with the login page again: 200 HTML, 'Invalid credentials.', no code", async () => {
		const { authorize } = await bullhorn();
		for (const params of [{ password: "wrong" }, { username: "nobody.api" }] as Record<string, string>[]) {
			const response = await authorize(params);
			expect(response.status).toBe(200);
			expect(response.headers.get("Content-Type")).toBe("text/html;charset=UTF-8");
			expect(response.headers.get("Location")).toBeNull();
			const page = await response.text();
			expect(page).toContain("<title>Bullhorn | Log in</title>");
			expect(page).toContain('<p class="error">');
			expect(page).toContain("Invalid credentials.");
			expect(page).not.toContain("code=");
			expect(page).not.toContain(params.password ?? USER.password);
		}
	});

	it("answers the terms-of-service page, no code, until the API user has agreed", async () => {
		const { authorize, control } = await bullhorn({ termsAccepted: false });
		const response = await authorize();
		expect(response.status).toBe(200);
		expect(response.headers.get("Location")).toBeNull();
		const page = await response.text();
		expect(page).toContain("<title>Bullhorn OAuth - Get Consent</title>");
		expect(page).toContain('value="Agree"');

		await control("PATCH", `/users/${USER.username}`, { termsAccepted: true });
		expect((await authorize()).status).toBe(302);
	});

	it("answers an unknown client id with Bullhorn's 'Invalid Client Id' page", async () => {
		const { authorize } = await bullhorn();
		const response = await authorize({ client_id: "no-such-client" });
		expect(response.status).toBe(200);
		expect(response.headers.get("Location")).toBeNull();
		const page = await response.text();
		expect(page).toContain("<title>Bullhorn OAuth Error - Invalid Client Id</title>");
		expect(page).toContain("no-such-client");
	});

	it("refuses a redirect URI the OAuth key does not list", async () => {
		const { authorize } = await bullhorn();
		const response = await authorize({ redirect_uri: "https://evil.example.com/" });
		expect(response.status).toBe(200);
		expect(response.headers.get("Location")).toBeNull();
		expect(await response.text()).toContain("<title>Bullhorn OAuth Error - Invalid Redirect URI</title>");
	});

	it("without action=Login prompts with the login page, and no error", async () => {
		const { authorize } = await bullhorn();
		const response = await authorize({ action: "" });
		const page = await response.text();
		expect(page).toContain("<title>Bullhorn | Log in</title>");
		expect(page).not.toContain("Invalid credentials.");
	});

	it("sends a user of the other data center there with a 307, query kept", async () => {
		const { authorize, send } = await bullhorn({ dataCenter: "dc2" });
		const response = await authorize();
		expect(response.status).toBe(307);
		const location = response.headers.get("Location") as string;
		expect(location.startsWith(`${ORIGIN}/dc2/oauth/authorize?client_id=`)).toBe(true);
		const followed = await send(location.slice(ORIGIN.length));
		expect(followed.status).toBe(302);
		expect(followed.headers.get("Location")).toMatch(/\?code=22%3A/);
	});
});

describe("the emulated Bullhorn: OAuth token", () => {
	it("trades a code for an access token of 10 minutes and a refresh token, once", async () => {
		const { authorize, codeOf, token } = await bullhorn();
		const code = codeOf(await authorize());
		const response = await token({ grant_type: "authorization_code", code });
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual({
			access_token: expect.stringMatching(TOKEN),
			token_type: "Bearer",
			expires_in: 600,
			refresh_token: expect.stringMatching(TOKEN),
		});

		const again = await token({ grant_type: "authorization_code", code });
		expect(again.status).toBe(400);
		expect(await again.json()).toEqual(INVALID_CODE);
	});

	it("takes the parameters in a form body too", async () => {
		const { authorize, codeOf, send } = await bullhorn();
		const code = codeOf(await authorize());
		const response = await send("/oauth/token", {
			method: "POST",
			body: new URLSearchParams({
				grant_type: "authorization_code",
				code,
				client_id: USER.clientId,
				client_secret: USER.clientSecret,
			}),
		});
		expect(response.status).toBe(200);
	});

	it("refuses a code older than a minute", async () => {
		const clock = fakeClock();
		const { authorize, codeOf, token } = await bullhorn();
		const code = codeOf(await authorize());
		clock.advance(60_001);
		const response = await token({ grant_type: "authorization_code", code });
		expect(response.status).toBe(400);
		expect(await response.json()).toEqual(INVALID_CODE);
	});

	it("refuses a code with another redirect_uri than authorize's", async () => {
		const { authorize, codeOf, token } = await bullhorn({ redirectUris: ["https://app.example.com/cb"] });
		const code = codeOf(await authorize({ redirect_uri: "https://app.example.com/cb" }));
		const response = await token({ grant_type: "authorization_code", code });
		expect(response.status).toBe(400);
		expect(await response.json()).toEqual(INVALID_CODE);
		const right = await token({
			grant_type: "authorization_code",
			code,
			redirect_uri: "https://app.example.com/cb",
		});
		expect(right.status).toBe(200);
	});

	it("trades the last refresh token for a new pair; the old one is then refused", async () => {
		const { tokensFor, token, state } = await bullhorn();
		const first = await tokensFor();
		const refreshed = await token({ grant_type: "refresh_token", refresh_token: first.refresh_token });
		expect(refreshed.status).toBe(200);
		const second = (await refreshed.json()) as Record<string, unknown>;
		expect(second).toEqual({
			access_token: expect.stringMatching(TOKEN),
			token_type: "Bearer",
			expires_in: 600,
			refresh_token: expect.stringMatching(TOKEN),
		});
		expect(second.access_token).not.toBe(first.access_token);
		expect(second.refresh_token).not.toBe(first.refresh_token);

		const reused = await token({ grant_type: "refresh_token", refresh_token: first.refresh_token });
		expect(reused.status).toBe(400);
		expect(await reused.json()).toEqual(INVALID_REFRESH_TOKEN);
		expect((await state()).refreshTokens).toEqual({ valid: 1, used: 1, revoked: 0 });
	});

	it("refuses a wrong client secret or an unknown client: 401 invalid_client", async () => {
		const { authorize, codeOf, token } = await bullhorn();
		const code = codeOf(await authorize());
		for (const params of [{ client_secret: "wrong" }, { client_id: "no-such-client" }] as Record<
			string,
			string
		>[]) {
			const response = await token({ grant_type: "authorization_code", code, ...params });
			expect(response.status).toBe(401);
			expect(await response.json()).toEqual(INVALID_CLIENT);
		}
		// Neither spent the code.
		expect((await token({ grant_type: "authorization_code", code })).status).toBe(200);
	});

	it("stops taking a user's refresh tokens when an admin changes the password, or revokes them", async () => {
		const { tokensFor, token, control, state } = await bullhorn();
		const before = await tokensFor();
		const changed = await control("PATCH", `/users/${USER.username}`, { password: "new-pa55word" });
		expect(changed.status).toBe(200);
		const refused = await token({ grant_type: "refresh_token", refresh_token: before.refresh_token });
		expect(refused.status).toBe(400);
		expect(await refused.json()).toEqual(INVALID_REFRESH_TOKEN);
		expect((await state()).refreshTokens).toEqual({ valid: 0, used: 0, revoked: 1 });

		await control("PATCH", `/users/${USER.username}`, { password: USER.password });
		const one = await tokensFor();
		const two = await tokensFor();
		const revokeOne = await control("POST", "/refresh-tokens/revoke", { refreshToken: one.refresh_token });
		expect(revokeOne.status).toBe(204);
		expect((await token({ grant_type: "refresh_token", refresh_token: one.refresh_token })).status).toBe(400);
		const revokeAll = await control("POST", `/users/${USER.username}/revoke-refresh-tokens`);
		expect(await revokeAll.json()).toEqual({ revoked: 1 });
		expect((await token({ grant_type: "refresh_token", refresh_token: two.refresh_token })).status).toBe(400);
	});
});

describe("the emulated Bullhorn: REST login and ping", () => {
	it("trades an access token for a REST session, once; ping tells when the session ends", async () => {
		const clock = fakeClock();
		const { tokensFor, login, send } = await bullhorn();
		const { access_token } = await tokensFor();
		const response = await login(access_token, { ttl: "60" });
		expect(response.status).toBe(200);
		const body = (await response.json()) as { BhRestToken: string; restUrl: string };
		expect(body).toEqual({
			BhRestToken: expect.stringMatching(/^[0-9a-f-]{36}$/),
			restUrl: `${ORIGIN}/rest-services/acme1/`,
		});

		const again = await login(access_token);
		expect(again.status).toBe(400);
		expect(await again.json()).toEqual(INVALID_ACCESS_TOKEN);

		const expected = { sessionExpires: Date.now() + 60 * 60_000 };
		const byHeader = await send("/rest-services/acme1/ping", { headers: { BhRestToken: body.BhRestToken } });
		expect(byHeader.status).toBe(200);
		expect(await byHeader.json()).toEqual(expected);
		const byQuery = await send(`/rest-services/acme1/ping?BhRestToken=${body.BhRestToken}`);
		expect(await byQuery.json()).toEqual(expected);
		const byCookie = await send("/rest-services/acme1/ping", {
			headers: { Cookie: `BhRestToken=${body.BhRestToken}` },
		});
		expect(await byCookie.json()).toEqual(expected);

		clock.advance(60 * 60_000);
		const expired = await send(`/rest-services/acme1/ping?BhRestToken=${body.BhRestToken}`);
		expect(expired.status).toBe(401);
		expect(await expired.json()).toEqual(INVALID_REST_TOKEN);
	});

	it("refuses an access token older than 10 minutes", async () => {
		const clock = fakeClock();
		const { tokensFor, login } = await bullhorn();
		const { access_token } = await tokensFor();
		clock.advance(600_000);
		const response = await login(access_token);
		expect(response.status).toBe(400);
		expect(await response.json()).toEqual(INVALID_ACCESS_TOKEN);
	});

	it("lasts 10 minutes without ttl, and at most 2880 minutes whatever ttl asks", async () => {
		fakeClock();
		const { session, send } = await bullhorn();
		const ping = async (token: string) =>
			(await (await send(`/rest-services/acme1/ping?BhRestToken=${token}`)).json()) as {
				sessionExpires: number;
			};
		expect(await ping((await session()).BhRestToken)).toEqual({ sessionExpires: Date.now() + 10 * 60_000 });
		expect(await ping((await session({ ttl: "100000" })).BhRestToken)).toEqual({
			sessionExpires: Date.now() + 2880 * 60_000,
		});
	});

	it("answers an unknown token 401, and no token 412", async () => {
		const { send, session } = await bullhorn();
		const unknown = await send("/rest-services/acme1/ping?BhRestToken=not-a-session");
		expect(unknown.status).toBe(401);
		expect(await unknown.json()).toEqual(INVALID_REST_TOKEN);

		const missing = await send("/rest-services/acme1/ping");
		expect(missing.status).toBe(412);
		expect(await missing.json()).toEqual({
			errorMessage: "Missing 'BhRestToken'.",
			errorMessageKey: "errors.authentication.missingRestToken",
			errorCode: 412,
		});

		const { BhRestToken } = await session();
		const otherCorporation = await send(`/rest-services/othercorp/ping?BhRestToken=${BhRestToken}`);
		expect(otherCorporation.status).toBe(401);
	});

	it("logs in a user of the other data center there (307), whose REST URL is that data center's", async () => {
		const { tokensFor, login, send } = await bullhorn({ dataCenter: "dc2" });
		const { access_token } = await tokensFor("/dc2");
		const redirected = await login(access_token);
		expect(redirected.status).toBe(307);
		const location = redirected.headers.get("Location") as string;
		expect(location.startsWith(`${ORIGIN}/dc2/rest-services/login?version=`)).toBe(true);
		const response = await send(location.slice(ORIGIN.length), { method: "POST" });
		expect(response.status).toBe(200);
		const { BhRestToken, restUrl } = (await response.json()) as { BhRestToken: string; restUrl: string };
		expect(restUrl).toBe(`${ORIGIN}/dc2/rest-services/acme1/`);
		expect((await send(`/dc2/rest-services/acme1/ping?BhRestToken=${BhRestToken}`)).status).toBe(200);
	});

	it("counts the corporation's live sessions and refuses one over its limit until one logs out", async () => {
		const { session, tokensFor, login, send, state } = await bullhorn({ sessionLimit: 2 });
		const first = await session();
		await session();
		expect(await state()).toMatchObject({ liveSessions: 2, corporationLiveSessions: 2, sessionLimit: 2 });

		const refused = await login((await tokensFor()).access_token);
		expect(refused.status).toBe(429);
		expect(await refused.json()).toEqual({
			errorMessage: "Maximum number of concurrent API sessions reached.",
			errorMessageKey: "errors.tooManySessions",
			errorCode: 429,
		});

		const logout = await send(`/rest-services/acme1/logout?BhRestToken=${first.BhRestToken}`);
		expect(await logout.json()).toEqual({ logout: "OK" });
		expect((await send(`/rest-services/acme1/ping?BhRestToken=${first.BhRestToken}`)).status).toBe(401);
		expect((await state()).liveSessions).toBe(1);
		await session();
	});

	it("allows 50 concurrent sessions per corporation by default", async () => {
		const { session, tokensFor, login } = await bullhorn();
		for (let i = 0; i < 50; i++) await session();
		const refused = await login((await tokensFor()).access_token);
		expect(refused.status).toBe(429);
	});
});

describe("the emulated Bullhorn: faults and the call log", () => {
	it("answers a queued 429 once, with Bullhorn's REST error body, then normally", async () => {
		const { session, send, queueFaults } = await bullhorn();
		const { BhRestToken } = await session();
		await queueFaults([{ status: 429, endpoint: "ping" }]);
		const limited = await send(`/rest-services/acme1/ping?BhRestToken=${BhRestToken}`);
		expect(limited.status).toBe(429);
		expect(limited.headers.get("Retry-After")).toBeNull();
		expect(await limited.json()).toEqual({
			errorMessage: "Server API capacity exceeded.",
			errorMessageKey: "errors.rateLimited",
			errorCode: 429,
		});
		expect((await send(`/rest-services/acme1/ping?BhRestToken=${BhRestToken}`)).status).toBe(200);
	});

	it("aims a fault at one endpoint: the token call answers 503 in OAuth's error body", async () => {
		const { authorize, codeOf, token, queueFaults } = await bullhorn();
		await queueFaults([{ status: 503, retryAfter: "1", endpoint: "token" }]);
		const code = codeOf(await authorize());
		const failed = await token({ grant_type: "authorization_code", code });
		expect(failed.status).toBe(503);
		expect(failed.headers.get("Retry-After")).toBe("1");
		expect(await failed.json()).toEqual({
			error: "temporarily_unavailable",
			error_description: "Emulated upstream failure",
		});
		expect((await token({ grant_type: "authorization_code", code })).status).toBe(200);
	});

	it("records each call by path and parameter names, never a password, secret or token", async () => {
		const { session, send, calls } = await bullhorn();
		await send(`/rest-services/loginInfo?username=${USER.username}`);
		const { BhRestToken } = await session();
		await send("/rest-services/acme1/ping", { headers: { BhRestToken } });

		const recorded = await calls();
		expect(recorded).toEqual([
			{
				service: "bullhorn",
				method: "GET",
				path: "/rest-services/loginInfo",
				target: USER.username,
				endpoint: "loginInfo",
				params: ["username"],
			},
			{
				service: "bullhorn",
				method: "GET",
				path: "/oauth/authorize",
				target: USER.username,
				endpoint: "authorize",
				params: ["action", "client_id", "password", "response_type", "username"],
			},
			{
				service: "bullhorn",
				method: "POST",
				path: "/oauth/token",
				target: USER.username,
				endpoint: "token",
				params: ["client_id", "client_secret", "code", "grant_type"],
			},
			{
				service: "bullhorn",
				method: "POST",
				path: "/rest-services/login",
				target: USER.username,
				endpoint: "login",
				params: ["access_token", "version"],
			},
			{
				service: "bullhorn",
				method: "GET",
				path: "/rest-services/acme1/ping",
				target: USER.username,
				endpoint: "ping",
				params: [],
				bhRestTokenIn: "header",
			},
		]);
		const log = JSON.stringify(recorded);
		expect(log).not.toContain(USER.password);
		expect(log).not.toContain(USER.clientSecret);
		expect(log).not.toContain(BhRestToken);
		expect(log).not.toMatch(/\d+:[0-9a-f]{8}-/);
	});

	it("forgets its users on the emulator's reset", async () => {
		const { send, control } = await bullhorn();
		expect((await send("/__emulator/reset", { method: "POST" })).status).toBe(204);
		expect((await control("GET", `/users/${USER.username}`)).status).toBe(404);
		expect((await control("GET", "/calls")).status).toBe(200);
	});
});
