/**
 * Bullhorn's login services, for the emulator (./emulator.ts): what the service needs to connect an
 * organization's Bullhorn "API user" and keep a REST session. Every behaviour below comes from Bullhorn's
 * published documentation or from Bullhorn responses that Bullhorn clients captured and published; where
 * neither says anything, the comment says "not documented" and names the choice made. Short names of the
 * sources used below:
 *
 * - [GS] "Getting Started with REST", https://bullhorn.github.io/Getting-Started-with-REST/
 * - [OAUTH] "OAuth authorization for the Bullhorn REST API", https://bullhorn.github.io/docs/oauth/
 * - [API] REST API reference, https://bullhorn.github.io/rest-api-docs/ (sections Introduction/URLs,
 *   Authorization, login, ping, Errors; source github.com/bullhorn/rest-api-docs, source/includes/).
 * - [SDK] Bullhorn's own Java client, github.com/bullhorn/sdk-rest, RestApiSession.java; its issues
 *   #218 (session ttl maximum, answered by a maintainer) and #397 (authorize's 302 with `Location`).
 * - [KB] Bullhorn knowledge base, "API Usage Limits, Versioning, and Backward Compatibility",
 *   https://kb.bullhorn.com/ats/Content/BHATS/Topics/understandingBHAPIUsageLimitsVersioningBackwardCompatibility.htm
 * - [CAPTURED] Bullhorn responses captured as test fixtures by the PHP client
 *   github.com/jonathanraftery/bullhorn-rest-client (tests/Mocks/...), and the loginInfo response quoted
 *   in github.com/billhess/Bullhorn.pm (Bullhorn.pm, get_auth_code).
 *
 * The flow: `GET /rest-services/loginInfo?username=` names the user's data center (`oauthUrl`, `restUrl`);
 * `{oauthUrl}/authorize?client_id=&response_type=code&action=Login&username=&password=` redirects with a
 * single-use `code`; `POST {oauthUrl}/token` trades it (or the last refresh token) for an access token and
 * a new refresh token; `{restUrl}/login?version=*&access_token=` trades the access token for a REST
 * session (`BhRestToken`, and the corporation's `restUrl`); `GET {restUrl}ping` tells when it expires.
 *
 * Two data centers: "dc1" at the origin's root and "dc2" under `/dc2`, so that Bullhorn's 307 to the right
 * data center can be played on one origin. URLs are built from the origin each request came to, so the
 * emulator works on any loopback port and in-process at a test's made-up URL.
 *
 * Control endpoints under `/__emulator/bullhorn/`. Never part of the deployed Worker.
 */
import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type ConnectionControl, type Fault, isTransportFault, playTransportFault } from "./faults.ts";

/** [GS]: "The access token is valid for 10 minutes." The token response says `expires_in: 600` [CAPTURED]. */
export const BULLHORN_ACCESS_TOKEN_TTL_SECONDS = 600;

/**
 * How long an authorization code can be traded. Not documented; [GS] only calls it an "auth code" to
 * trade at once. Chosen: 60 s (a third-party troubleshooting page says codes "expire quickly (usually
 * within 1 minute)").
 */
export const BULLHORN_CODE_TTL_MS = 60_000;

/**
 * REST session length in minutes when login has no `ttl`. Not documented ([API] login: "ttl — Session
 * time-to-live in minutes", no default given). Chosen: 10 minutes, what third-party guides report.
 */
export const BULLHORN_DEFAULT_SESSION_TTL_MINUTES = 10;

/**
 * The longest REST session: [SDK] `MAX_TTL = 2880`, and issue #218, a maintainer: "The maximum time to live
 * of the rest session on the server-side is 2880 minutes (2 days). You will not get a longer ttl by
 * setting a different value on your login call."
 */
export const BULLHORN_MAX_SESSION_TTL_MINUTES = 2880;

/** [KB]: "Concurrent API sessions: Maximum of 50 active sessions." (per customer, i.e. corporation). */
export const BULLHORN_CONCURRENT_SESSION_LIMIT = 50;

/**
 * Where authorize sends the code when neither the request nor the OAuth key names a redirect URI. Not
 * documented; the Location Bullhorn answered, as captured by a client [CAPTURED, auth-code-location-header]:
 * `http://www.bullhorn.com?code=…&client_id=…&state=…`.
 */
export const BULLHORN_DEFAULT_REDIRECT = "http://www.bullhorn.com";

export type BullhornDataCenter = "dc1" | "dc2";

/** The calls of the login flow, for faults aimed at one of them. */
export type BullhornEndpoint = "loginInfo" | "authorize" | "token" | "login" | "ping" | "logout";

/**
 * A queued fault (./faults.ts), for the Bullhorn calls of one API user. Same kinds and the same queue
 * semantics — one fault per call, in order; a fault with `method` (or `endpoint`) waits for a call of that
 * method (endpoint) — except Clerk's own `metadata-limit` and `locked`. A status fault answers with the body
 * Bullhorn uses at that endpoint (see `statusFault`).
 */
export type BullhornFault = ReusableFault<Fault> & { method?: "GET" | "POST"; endpoint?: BullhornEndpoint };
type ReusableFault<F> = F extends { kind: "metadata-limit" | "locked" } ? never : Omit<F, "method">;

/** What `POST /__emulator/bullhorn/users` takes. */
export interface BullhornUserSeed {
	username: string;
	password: string;
	/** The OAuth key (client id) the user signs in with; created when new. */
	clientId: string;
	/** The OAuth key's secret: required to match when the key exists; made up when it is new and absent. */
	clientSecret?: string;
	/** Redirect URIs registered on a new OAuth key ([GS]: "redirect_uri … provided to Bullhorn when registered"). */
	redirectUris?: string[];
	/** Whether the user has agreed to the terms of service for the key (default true). */
	termsAccepted?: boolean;
	dataCenter?: BullhornDataCenter;
	/** The corporation the user belongs to (default: one of its own); sessions are counted per corporation. */
	corpToken?: string;
	/** The corporation's concurrent-session limit (default 50, [KB]); set on the corporation's first user. */
	sessionLimit?: number;
}

export interface BullhornCall {
	service: "bullhorn";
	method: string;
	/** The path only: query strings carry passwords, secrets and tokens, and never reach the log. */
	path: string;
	/** The API user the call was about; "" when it named nobody Bullhorn knows. */
	target: string;
	endpoint: BullhornEndpoint;
	/** The names of the query and form parameters the call carried, sorted; never their values. */
	params: string[];
	/** Whether a `BhRestToken` came in a header or a cookie (REST calls). */
	bhRestTokenIn?: "query" | "header" | "cookie";
}

export interface BullhornEmulatorOptions {
	/** API users to create at start (and again after each reset). */
	users?: BullhornUserSeed[];
}

type BullhornEnv = { Bindings: { connection?: ConnectionControl } };
type C = Context<BullhornEnv>;

interface User {
	username: string;
	password: string;
	clientId: string;
	corpToken: string;
	dataCenter: BullhornDataCenter;
	termsAccepted: boolean;
}
interface Client {
	secret: string;
	redirectUris: string[];
}
interface Grant {
	username: string;
	clientId: string;
	expiresAt: number;
	/** Spent by use, or revoked: Bullhorn refuses it from then on. */
	state: "valid" | "used" | "revoked";
	redirectUri?: string;
}
interface Session {
	username: string;
	corpToken: string;
	dataCenter: BullhornDataCenter;
	expiresAt: number;
	loggedOut: boolean;
}

const DATA_CENTERS: Record<
	BullhornDataCenter,
	{ prefix: string; dataCenterId: number; superClusterId: number }
> = {
	dc1: { prefix: "", dataCenterId: 1, superClusterId: 11 },
	dc2: { prefix: "/dc2", dataCenterId: 2, superClusterId: 22 },
};

export function createBullhornEmulator(options: BullhornEmulatorOptions = {}) {
	const users = new Map<string, User>();
	const clients = new Map<string, Client>();
	const sessionLimits = new Map<string, number>();
	const codes = new Map<string, Grant>();
	const accessTokens = new Map<string, Grant>();
	const refreshTokens = new Map<string, Grant>();
	const sessions = new Map<string, Session>();
	const calls: BullhornCall[] = [];
	const faults = new Map<string, BullhornFault[]>();

	const createUser = (seed: BullhornUserSeed): { user: User; clientSecret?: string } | string => {
		if (!seed.username || !seed.password || !seed.clientId)
			return "username, password and clientId are required";
		if (users.has(seed.username)) return `user ${seed.username} exists`;
		const existing = clients.get(seed.clientId);
		if (existing && seed.clientSecret !== undefined && seed.clientSecret !== existing.secret) {
			return `client ${seed.clientId} exists with another secret`;
		}
		let madeUpSecret: string | undefined;
		if (!existing) {
			madeUpSecret = seed.clientSecret === undefined ? randomToken() : undefined;
			clients.set(seed.clientId, {
				secret: seed.clientSecret ?? (madeUpSecret as string),
				redirectUris: seed.redirectUris ?? [],
			});
		}
		const user: User = {
			username: seed.username,
			password: seed.password,
			clientId: seed.clientId,
			corpToken: seed.corpToken ?? `corp${randomToken().slice(0, 8)}`,
			dataCenter: seed.dataCenter ?? "dc1",
			termsAccepted: seed.termsAccepted ?? true,
		};
		if (!sessionLimits.has(user.corpToken)) {
			sessionLimits.set(user.corpToken, seed.sessionLimit ?? BULLHORN_CONCURRENT_SESSION_LIMIT);
		}
		users.set(user.username, user);
		return madeUpSecret === undefined ? { user } : { user, clientSecret: madeUpSecret };
	};

	const reset = () => {
		for (const store of [
			users,
			clients,
			sessionLimits,
			codes,
			accessTokens,
			refreshTokens,
			sessions,
			faults,
		]) {
			store.clear();
		}
		calls.length = 0;
		for (const seed of options.users ?? []) createUser(seed);
	};
	reset();

	const liveSessions = (corpToken: string) => {
		const now = Date.now();
		let live = 0;
		for (const session of sessions.values()) {
			if (session.corpToken === corpToken && !session.loggedOut && session.expiresAt > now) live++;
		}
		return live;
	};

	const userView = (user: User) => {
		const grantsOf = (store: Map<string, Grant>) => {
			const counts = { valid: 0, used: 0, revoked: 0 };
			for (const grant of store.values()) if (grant.username === user.username) counts[grant.state]++;
			return counts;
		};
		let userSessions = 0;
		const now = Date.now();
		for (const session of sessions.values()) {
			if (session.username === user.username && !session.loggedOut && session.expiresAt > now) userSessions++;
		}
		return {
			username: user.username,
			clientId: user.clientId,
			corpToken: user.corpToken,
			dataCenter: user.dataCenter,
			termsAccepted: user.termsAccepted,
			liveSessions: userSessions,
			corporationLiveSessions: liveSessions(user.corpToken),
			sessionLimit: sessionLimits.get(user.corpToken) ?? BULLHORN_CONCURRENT_SESSION_LIMIT,
			refreshTokens: grantsOf(refreshTokens),
		};
	};

	/** Records the call (never a value of a parameter) and answers the user's next queued fault, if any. */
	const begin = async (
		c: C,
		endpoint: BullhornEndpoint,
		target: string,
		params: Map<string, string>,
		bhRestTokenIn?: BullhornCall["bhRestTokenIn"],
	): Promise<Response | undefined> => {
		calls.push({
			service: "bullhorn",
			method: c.req.method,
			path: c.req.path,
			target,
			endpoint,
			params: [...params.keys()].sort(),
			...(bhRestTokenIn ? { bhRestTokenIn } : {}),
		});
		const fault = takeFault(faults, target, c.req.method, endpoint);
		if (!fault) return undefined;
		if ("status" in fault) return statusFault(endpoint, fault.status, fault.retryAfter);
		// Clerk's own refusals (422, 409) are not Bullhorn's: the call is answered normally.
		if (!isTransportFault(fault)) return undefined;
		return playTransportFault(fault, '{"BhRestToken": ', c.env?.connection);
	};

	const app = new Hono<BullhornEnv>();

	for (const [dataCenter, { prefix }] of Object.entries(DATA_CENTERS) as [
		BullhornDataCenter,
		(typeof DATA_CENTERS)[BullhornDataCenter],
	][]) {
		/** The REST session a call names, or Bullhorn's answer for an unauthenticated client. */
		const restSession = async (c: C, endpoint: "ping" | "logout"): Promise<Session | Response> => {
			const params = await paramsOf(c);
			// [API] Authorization/Session key: the BhRestToken comes in "1. A query parameter named `BhRestToken`
			// on the request URL. 2. An HTTP header named `BhRestToken` or `BHRestToken`. 3. A cookie named
			// `BhRestToken`."
			const fromHeader = c.req.header("BhRestToken");
			const fromCookie = cookie(c.req.header("Cookie"), "BhRestToken");
			const fromQuery = params.get("BhRestToken");
			const token = fromQuery ?? fromHeader ?? fromCookie;
			const tokenIn =
				fromQuery !== undefined
					? "query"
					: fromHeader !== undefined
						? "header"
						: fromCookie !== undefined
							? "cookie"
							: undefined;
			const session = token === undefined ? undefined : sessions.get(token);
			const faulted = await begin(c, endpoint, session?.username ?? "", params, tokenIn);
			if (faulted) return faulted;
			// [API] Authorization: "If a client makes a request and does not include a BhRestToken, the server
			// sends a response with HTTP status `412` (precondition failed)." The body is not documented; chosen:
			// a REST error body like the 401's.
			if (token === undefined) {
				return restError(412, "Missing 'BhRestToken'.", "errors.authentication.missingRestToken");
			}
			// [API] Authorization: "If a client request contains an invalid session key, the server returns
			// response status `401` (unauthorized)." [GS]: "When the current session key expires, your query will
			// return a 401 response." Body [CAPTURED] invalid-rest-token: `{"errorMessage": "Bad 'BhRestToken' or
			// timed-out.", "errorMessageKey": "errors.authentication.invalidRestToken", "errorCode": 401}`. A
			// session is valid only under its own corporation and data center (not documented; chosen).
			if (
				!session ||
				session.loggedOut ||
				session.expiresAt <= Date.now() ||
				session.corpToken !== c.req.param("corpToken") ||
				session.dataCenter !== dataCenter
			) {
				return restError(401, "Bad 'BhRestToken' or timed-out.", "errors.authentication.invalidRestToken");
			}
			return session;
		};

		// [GS], [API] Introduction/URLs: "Run the following GET rest-services/loginInfo request with your
		// API_Username to return the list of correct URLs for that user: https://rest.bullhornstaffing.com/
		// rest-services/loginInfo?username={API_Username}". "If you do not use the correct URLs for a user, you
		// will receive a 307 redirect to the correct data center."
		app.get(`${prefix}/rest-services/loginInfo`, async (c) => {
			const params = await paramsOf(c);
			const username = params.get("username") ?? "";
			const user = users.get(username);
			const faulted = await begin(c, "loginInfo", user ? username : "", params);
			if (faulted) return faulted;
			if (!username) {
				// Not documented. Chosen: a REST error body, as Bullhorn's REST API answers a bad request.
				return restError(400, "Missing required parameter: username", "errors.badRequest");
			}
			if (user && user.dataCenter !== dataCenter) return redirectToDataCenter(c, prefix, user.dataCenter);
			// An unknown username: not documented. Chosen: this data center's URLs (sign-in then fails with
			// the login page of "Invalid credentials.").
			return c.json(loginInfo(origin(c), dataCenter));
		});

		// [GS] "Get an authorization code": `{oauthUrl}/authorize?client_id={client_id}&response_type=code
		// &redirect_uri={optional redirect_uri}&state={recommended state value}`; "If you do not include
		// action=Login&username={username}&password={password} in the URL, you will be prompted with a login
		// page if running in a browser"; "The page is redirected to the redirect URI with a code query parameter
		// on the URL." GET as in [GS]; POST too, as Bullhorn's own client sends it ([SDK]
		// `restTemplate.exchange(url, HttpMethod.POST, …)`), with the parameters in the query or a form body.
		app.on(["GET", "POST"], `${prefix}/oauth/authorize`, async (c) => {
			const params = await paramsOf(c);
			const username = params.get("username") ?? "";
			const user = users.get(username);
			const faulted = await begin(c, "authorize", user ? username : "", params);
			if (faulted) return faulted;

			const clientId = params.get("client_id") ?? "";
			const client = clients.get(clientId);
			// [CAPTURED] invalid-client-id-response: an HTML page "Bullhorn OAuth Error - Invalid Client Id".
			// Its status is not documented; the client that captured it reads it as an ordinary (200) answer.
			if (!client) return html(oauthErrorPage("Invalid Client Id", clientId));
			// [GS]: "If used, the redirect_uri must match one of the redirect_uris specified in the OAuth API key."
			// Bullhorn's words for a mismatch, "Invalid Redirect URI" (github.com/bullhorn/passport-bullhorn
			// issue #2); the page around them is not documented and follows the Invalid Client Id page.
			const redirectUri = params.get("redirect_uri");
			if (redirectUri !== undefined && !client.redirectUris.includes(redirectUri)) {
				return html(oauthErrorPage("Invalid Redirect URI", redirectUri));
			}
			if (params.get("response_type") !== "code") {
				// Not documented ([GS] always sends response_type=code). Chosen: the same kind of error page.
				return html(oauthErrorPage("Invalid Response Type", params.get("response_type") ?? ""));
			}
			if (user && user.dataCenter !== dataCenter) return redirectToDataCenter(c, prefix, user.dataCenter);

			const signingIn = params.get("action") === "Login";
			const password = params.get("password");
			// [GS]: without action=Login and credentials, "you will be prompted with a login page".
			if (!signingIn || password === undefined) return html(loginPage(username, false));
			// [CAPTURED] invalid-credentials-response: a 200 HTML page titled "Bullhorn | Log in" with
			// `<p class="error">Invalid credentials.</p>` and no Location. Bullhorn's own client then fails with
			// "Response had no Location header" ([SDK] issue #397: "the status code is 200, and there is no
			// Location header").
			if (!user || user.password !== password) return html(loginPage(username, true));
			// [GS]: after login "A Terms of Service page is displayed. User clicks the Agree button to accept the
			// terms of service." Until the API user has agreed, authorize answers that consent page
			// ([CAPTURED] need-user-consent: "Bullhorn OAuth - Get Consent", buttons Agree/Decline) — no code.
			if (!user.termsAccepted) return html(consentPage(user));

			const code = `${DATA_CENTERS[dataCenter].superClusterId}:${crypto.randomUUID()}`;
			codes.set(code, {
				username,
				clientId,
				expiresAt: Date.now() + BULLHORN_CODE_TTL_MS,
				state: "valid",
				...(redirectUri === undefined ? {} : { redirectUri }),
			});
			// [SDK] issue #397: Bullhorn's client expects "a 302 response with a \"Location\" header"; the
			// query is `code=###&client_id=` ([SDK] `getAuthCode`), then `state` ([CAPTURED]
			// auth-code-location-header: `?code=mock-auth-code&client_id=mock-client-id&state=mock-state`).
			// Codes carry a ":" ([CAPTURED] tokens look like "5:a6477004-…"), percent-encoded in the URL.
			const target = redirectUri ?? client.redirectUris[0] ?? BULLHORN_DEFAULT_REDIRECT;
			const query = [`code=${encodeURIComponent(code)}`, `client_id=${encodeURIComponent(clientId)}`];
			const state = params.get("state");
			if (state !== undefined) query.push(`state=${encodeURIComponent(state)}`);
			const location = `${target}${target.includes("?") ? "&" : "?"}${query.join("&")}`;
			return new Response(null, { status: 302, headers: { Location: location } });
		});

		// [GS] "Get an access token": "Make a POST request with the following URL …
		// {oauthUrl}/token?grant_type=authorization_code&code={auth_code}&client_id={client_id}
		// &client_secret={client_secret}&redirect_uri={optional redirect_uri}"; "Use a refresh token to get a new
		// access token": "{oauthUrl}/token?grant_type=refresh_token&refresh_token={refresh_token}&client_id=
		// {client_id}&client_secret={client_secret}". Parameters in the query as documented, or in a form body
		// (RFC 6749 §4.1.3; not in Bullhorn's docs).
		app.post(`${prefix}/oauth/token`, async (c) => {
			const params = await paramsOf(c);
			const grantType = params.get("grant_type");
			const store = grantType === "authorization_code" ? codes : refreshTokens;
			const presented = params.get(grantType === "authorization_code" ? "code" : "refresh_token") ?? "";
			const grant =
				grantType === "authorization_code" || grantType === "refresh_token"
					? store.get(presented)
					: undefined;
			const user = grant ? users.get(grant.username) : undefined;
			const faulted = await begin(c, "token", user?.username ?? "", params);
			if (faulted) return faulted;

			const clientId = params.get("client_id") ?? "";
			const client = clients.get(clientId);
			// [CAPTURED] invalid-client-secret: `{"error": "invalid_client", "error_description": "Client
			// authentication failed."}`. Status not captured; 401 as RFC 6749 §5.2 allows for invalid_client.
			if (!client || params.get("client_secret") !== client.secret) {
				return c.json({ error: "invalid_client", error_description: "Client authentication failed." }, 401);
			}
			if (grantType !== "authorization_code" && grantType !== "refresh_token") {
				// Not documented. RFC 6749 §5.2 `unsupported_grant_type` (400).
				return c.json({ error: "unsupported_grant_type", error_description: "Unsupported grant type" }, 400);
			}
			if (user && user.dataCenter !== dataCenter) return redirectToDataCenter(c, prefix, user.dataCenter);

			const now = Date.now();
			if (grantType === "authorization_code") {
				// [CAPTURED] invalid-auth-code: `{"error": "invalid_grant", "error_description": "Invalid, expired,
				// or revoked authorization code."}`; 400 per RFC 6749 §5.2. [GS]: "If you specified a redirect_uri
				// in the oauth/authorize request, you must specify the same redirect_uri in this request."
				const usable =
					grant?.state === "valid" &&
					grant.expiresAt > now &&
					grant.clientId === clientId &&
					params.get("redirect_uri") === grant.redirectUri;
				if (!grant || !usable) {
					return c.json(
						{ error: "invalid_grant", error_description: "Invalid, expired, or revoked authorization code." },
						400,
					);
				}
				grant.state = "used";
			} else {
				// [OAUTH]: "A refresh token expires after it is used once to successfully obtain a new access token
				// and refresh token." [GS]: "The refresh token has no expiration date/time, but it does expire when a
				// new access token and refresh token are generated." The error body by analogy with the code's
				// (Bullhorn clients match this exact text, e.g. the WP Job Board plugin's Bullhorn manager: "Invalid,
				// expired, or revoked refresh token.").
				if (grant?.state !== "valid" || grant.clientId !== clientId) {
					return c.json(
						{ error: "invalid_grant", error_description: "Invalid, expired, or revoked refresh token." },
						400,
					);
				}
				grant.state = "used";
			}

			// [OAUTH]: "for subsequent requests the client can provide the latest refresh token to get a new access
			// token (and refresh token)". The body as captured [CAPTURED] access-token-success and Bullhorn.pm:
			// `{"access_token": "5:a6477004-…", "token_type": "Bearer", "expires_in": 600, "refresh_token": "5:…"}`.
			const { username } = grant;
			const grantOf = (ttlMs: number): Grant => ({
				username,
				clientId,
				expiresAt: now + ttlMs,
				state: "valid",
			});
			const cluster = DATA_CENTERS[dataCenter].superClusterId;
			const accessToken = `${cluster}:${crypto.randomUUID()}`;
			const refreshToken = `${cluster}:${crypto.randomUUID()}`;
			accessTokens.set(accessToken, grantOf(BULLHORN_ACCESS_TOKEN_TTL_SECONDS * 1000));
			refreshTokens.set(refreshToken, grantOf(Number.POSITIVE_INFINITY));
			return c.json({
				access_token: accessToken,
				token_type: "Bearer",
				expires_in: BULLHORN_ACCESS_TOKEN_TTL_SECONDS,
				refresh_token: refreshToken,
			});
		});

		// [API] login: `curl https://rest.bullhornstaffing.com/login?access_token=xxx&version=*` (GET); [GS]
		// "POST https://rest-{value_from_loginInfo}.bullhornstaffing.com/rest-services/login?version=*
		// &access_token={xxxxxxxx}". Parameters: access_token (required), version (required, "* is a wildcard
		// for latest version"), ttl ("Session time-to-live in minutes"). Response: `{"BhRestToken": "…",
		// "restUrl": "https://rest{swimlane#}.bullhornstaffing.com/rest-services/{corpToken}/"}`.
		app.on(["GET", "POST"], `${prefix}/rest-services/login`, async (c) => {
			const params = await paramsOf(c);
			const grant = accessTokens.get(params.get("access_token") ?? "");
			const user = grant ? users.get(grant.username) : undefined;
			const faulted = await begin(c, "login", user?.username ?? "", params);
			if (faulted) return faulted;
			if (!params.get("version")) {
				// Not documented beyond "required". Chosen: a REST error body, 400.
				return restError(400, "Missing required parameter: version", "errors.badRequest");
			}
			if (user && user.dataCenter !== dataCenter) return redirectToDataCenter(c, prefix, user.dataCenter);
			// [API] login: 'Possible Error: "Invalid or expired OAuth access token."'; the whole answer
			// [CAPTURED] login-invalid-token-error: `{"errorMessage": "Invalid or expired OAuth access token.",
			// "errorMessageKey": "errors.authentication.invalidOAuthToken", "errorCode": 400}` (also seen with
			// errorCode 400 in sdk-rest issue #216). An access token serves one login: "the access token is being
			// invalidated on it's first usage as well" (github.com/jiminny/oauth2-bullhorn README).
			if (!grant || !user || grant.state !== "valid" || grant.expiresAt <= Date.now()) {
				return restError(
					400,
					"Invalid or expired OAuth access token.",
					"errors.authentication.invalidOAuthToken",
				);
			}
			grant.state = "used";
			// Over [KB]'s "Maximum of 50 active sessions": what Bullhorn answers is not documented. Chosen: the
			// login is refused, 429 (Bullhorn's status for "Rate Limited", [API] Errors), until a session ends.
			const limit = sessionLimits.get(user.corpToken) ?? BULLHORN_CONCURRENT_SESSION_LIMIT;
			if (liveSessions(user.corpToken) >= limit) {
				return restError(429, "Maximum number of concurrent API sessions reached.", "errors.tooManySessions");
			}
			const token = crypto.randomUUID();
			sessions.set(token, {
				username: user.username,
				corpToken: user.corpToken,
				dataCenter,
				expiresAt: Date.now() + sessionTtlMinutes(params.get("ttl")) * 60_000,
				loggedOut: false,
			});
			return c.json({
				BhRestToken: token,
				restUrl: `${origin(c)}${prefix}/rest-services/${user.corpToken}/`,
			});
		});

		// [API] ping: "GET /ping … Returns the date of the calling client's session expiration … If the session
		// is not valid, the response is the standard response for unauthenticated clients." Example
		// `{"sessionExpires": 1323449994922}` (epoch milliseconds).
		app.get(`${prefix}/rest-services/:corpToken/ping`, async (c) => {
			const found = await restSession(c, "ping");
			if (found instanceof Response) return found;
			return c.json({ sessionExpires: found.expiresAt });
		});

		// [API] Logout: `curl …/rest-services/e999/logout` → `{logout: "OK"}`, "Log out and invalidate your REST
		// session." (It frees one of the corporation's concurrent sessions.)
		app.get(`${prefix}/rest-services/:corpToken/logout`, async (c) => {
			const found = await restSession(c, "logout");
			if (found instanceof Response) return found;
			found.loggedOut = true;
			return c.json({ logout: "OK" });
		});
	}

	// Control endpoints
	app.post("/__emulator/bullhorn/users", async (c) => {
		const created = createUser(await c.req.json<BullhornUserSeed>());
		if (typeof created === "string")
			return c.json({ error: created }, created.endsWith("exists") ? 409 : 400);
		return c.json(
			{
				...userView(created.user),
				...(created.clientSecret === undefined ? {} : { clientSecret: created.clientSecret }),
			},
			201,
		);
	});
	app.get("/__emulator/bullhorn/users/:username", (c) => {
		const user = users.get(c.req.param("username"));
		return user ? c.json(userView(user)) : c.json({ error: "no such user" }, 404);
	});
	// An admin changes the API user: a new password (every refresh token of the user stops working — not
	// documented, the usual consequence, chosen), or the terms agreed to.
	app.patch("/__emulator/bullhorn/users/:username", async (c) => {
		const user = users.get(c.req.param("username"));
		if (!user) return c.json({ error: "no such user" }, 404);
		const { password, termsAccepted } = await c.req.json<{ password?: string; termsAccepted?: boolean }>();
		if (termsAccepted !== undefined) user.termsAccepted = termsAccepted;
		if (password !== undefined && password !== user.password) {
			user.password = password;
			revokeRefreshTokens(refreshTokens, user.username);
		}
		return c.json(userView(user));
	});
	// Every refresh token of the user refused from now on; answers how many were still usable.
	app.post("/__emulator/bullhorn/users/:username/revoke-refresh-tokens", (c) => {
		const user = users.get(c.req.param("username"));
		if (!user) return c.json({ error: "no such user" }, 404);
		return c.json({ revoked: revokeRefreshTokens(refreshTokens, user.username) });
	});
	app.post("/__emulator/bullhorn/refresh-tokens/revoke", async (c) => {
		const { refreshToken } = await c.req.json<{ refreshToken: string }>();
		const grant = refreshTokens.get(refreshToken);
		if (!grant) return c.json({ error: "no such refresh token" }, 404);
		if (grant.state === "valid") grant.state = "revoked";
		return c.body(null, 204);
	});
	// `?username=a&username=b`: the Bullhorn calls about any of them, in the order they were made.
	app.get("/__emulator/bullhorn/calls", (c) => {
		const usernames = c.req.queries("username") ?? [];
		return c.json({
			calls: usernames.length ? calls.filter((call) => usernames.includes(call.target)) : calls,
		});
	});
	app.post("/__emulator/bullhorn/faults", async (c) => {
		const { username, faults: queued } = await c.req.json<{ username: string; faults: BullhornFault[] }>();
		if (!username || !Array.isArray(queued))
			return c.json({ error: "username and faults are required" }, 400);
		faults.set(username, [...(faults.get(username) ?? []), ...queued]);
		return c.body(null, 204);
	});

	return {
		app,
		/** Forgets every user, key, token, session, call and fault; creates `options.users` again. */
		reset,
		/** Mounts the Bullhorn routes on the emulator's app; answers this emulator. */
		mount(parent: Hono<BullhornEnv>) {
			parent.route("/", app);
			return this;
		},
		calls,
	};
}

export type BullhornEmulator = ReturnType<typeof createBullhornEmulator>;

/** The next fault for a call of `method` to `endpoint` about `target`, consumed (./faults.ts semantics). */
function takeFault(
	queues: Map<string, BullhornFault[]>,
	target: string,
	method: string,
	endpoint: BullhornEndpoint,
): BullhornFault | undefined {
	const queue = queues.get(target);
	const index =
		queue?.findIndex(
			(fault) =>
				(fault.method === undefined || fault.method === method) &&
				(fault.endpoint === undefined || fault.endpoint === endpoint),
		) ?? -1;
	if (!queue || index < 0) return undefined;
	const [fault] = queue.splice(index, 1);
	if (queue.length === 0) queues.delete(target);
	return fault;
}

/**
 * A status fault, in the body Bullhorn answers at that endpoint. REST calls: Bullhorn's REST error body
 * (`errorMessage`, `errorMessageKey`, `errorCode`, [CAPTURED]); for 5xx the words of a Bullhorn 500 ("An
 * internal error has occurred", `errors.internalError`, github.com/bullhorn/career-portal issue #167). A 429
 * is "Rate Limited -- Wait 1 second then retry request. Repeat until successful." ([API] Errors); its body
 * is not documented (chosen: the REST error body with Bullhorn's words "Server API capacity exceeded", from
 * its support forum post "Recent 429 Error Handling"). OAuth calls: RFC 6749's error body (not documented).
 * `Retry-After` only when the fault gives one: Bullhorn documents none.
 */
function statusFault(endpoint: BullhornEndpoint, status: number, retryAfter?: string): Response {
	const headers: Record<string, string> = { "Content-Type": "application/json" };
	if (retryAfter !== undefined) headers["Retry-After"] = retryAfter;
	const body =
		endpoint === "authorize" || endpoint === "token"
			? {
					error: status === 429 || status === 503 ? "temporarily_unavailable" : "server_error",
					error_description: "Emulated upstream failure",
				}
			: status === 429
				? {
						errorMessage: "Server API capacity exceeded.",
						errorMessageKey: "errors.rateLimited",
						errorCode: 429,
					}
				: status >= 500
					? {
							errorMessage: "An internal error has occurred",
							errorMessageKey: "errors.internalError",
							errorCode: status,
						}
					: {
							errorMessage: "Emulated upstream failure",
							errorMessageKey: "errors.emulated",
							errorCode: status,
						};
	return new Response(JSON.stringify(body), { status, headers });
}

/** Bullhorn's REST error body ([CAPTURED] invalid-rest-token, login-invalid-token-error). */
function restError(status: number, errorMessage: string, errorMessageKey: string): Response {
	return new Response(JSON.stringify({ errorMessage, errorMessageKey, errorCode: status }), {
		status: status as ContentfulStatusCode,
		headers: { "Content-Type": "application/json" },
	});
}

/**
 * loginInfo's answer: the fields and their order as Bullhorn answered (Bullhorn.pm's get_auth_code quotes
 * one: atsUrl, billingSyncUrl, coreUrl, documentEditorUrl, mobileUrl, oauthUrl, restUrl, samlUrl, novoUrl,
 * pulseInboxUrl, canvasUrl, npsSurveyUrl, ulUrl, dataCenterId, superClusterId). `oauthUrl` is the OAuth
 * server's base (`https://auth-west.bullhornstaffing.com/oauth`), and `restUrl` the data center's REST base
 * without a corporation or a trailing slash (`https://rest-west.bullhornstaffing.com/rest-services`): the
 * login URL is `{restUrl}/login` ([SDK] `getBaseRestUrlFromApi() + "/login"`), and the corporation's URL
 * comes from login. Only oauthUrl and restUrl are served here; the others name nothing served.
 */
function loginInfo(origin: string, dataCenter: BullhornDataCenter) {
	const { prefix, dataCenterId, superClusterId } = DATA_CENTERS[dataCenter];
	const base = `${origin}${prefix}`;
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

/** [GS]/[API] URLs: "you will receive a 307 redirect to the correct data center" — same path and query. */
function redirectToDataCenter(c: C, fromPrefix: string, to: BullhornDataCenter): Response {
	const url = new URL(c.req.url);
	const rest = url.pathname.slice(fromPrefix.length);
	return new Response(null, {
		status: 307,
		headers: { Location: `${url.origin}${DATA_CENTERS[to].prefix}${rest}${url.search}` },
	});
}

function sessionTtlMinutes(ttl: string | undefined): number {
	const minutes = Number(ttl);
	// Not documented: a ttl that is not a positive whole number. Chosen: the default.
	if (ttl === undefined || !Number.isInteger(minutes) || minutes < 1)
		return BULLHORN_DEFAULT_SESSION_TTL_MINUTES;
	return Math.min(minutes, BULLHORN_MAX_SESSION_TTL_MINUTES);
}

function revokeRefreshTokens(store: Map<string, Grant>, username: string): number {
	let revoked = 0;
	for (const grant of store.values()) {
		if (grant.username === username && grant.state === "valid") {
			grant.state = "revoked";
			revoked++;
		}
	}
	return revoked;
}

/** The query's parameters, and a form body's (which win). */
async function paramsOf(c: C): Promise<Map<string, string>> {
	const params = new Map(Object.entries(c.req.query()));
	const type = c.req.header("Content-Type") ?? "";
	if (c.req.method === "POST" && type.includes("application/x-www-form-urlencoded")) {
		for (const [name, value] of Object.entries(await c.req.parseBody())) {
			if (typeof value === "string") params.set(name, value);
		}
	}
	return params;
}

function origin(c: C): string {
	return new URL(c.req.url).origin;
}

function cookie(header: string | undefined, name: string): string | undefined {
	for (const part of header?.split(";") ?? []) {
		const [key, ...value] = part.trim().split("=");
		if (key === name) return value.join("=");
	}
	return undefined;
}

function randomToken(): string {
	return crypto.randomUUID().replaceAll("-", "");
}

function html(body: string): Response {
	return new Response(body, { headers: { "Content-Type": "text/html;charset=UTF-8" } });
}

function escapeHtml(text: string): string {
	return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** [CAPTURED] invalid-client-id-response, the same layout for every OAuth error page. */
function oauthErrorPage(error: string, value: string): string {
	return `<html>
<head>
    <title>Bullhorn OAuth Error - ${error}</title>
</head>
<body>
<h1>Bullhorn OAuth Error</h1>
<h2>${error}</h2>
<p>${escapeHtml(value)}</p>
</body>
</html>
`;
}

/** [CAPTURED] invalid-credentials-response (abridged): the login form, with the error when credentials failed. */
function loginPage(username: string, failed: boolean): string {
	return `<!DOCTYPE html>
<html>
<head>
    <meta charset="utf-8">
    <title>Bullhorn | Log in</title>
</head>
<body>
<div class="login">
    <div class="container">
        <form method="POST" name="loginForm" class="content">
            <input type="hidden" name="username" value="${escapeHtml(username)}">
            <div id="usernameText"><span>Hello, ${escapeHtml(username)}!</span></div>
            <input type="password" name="password" placeholder="Password" id="pw">
            <div class="errors">
${failed ? '                <p class="error">\n                    Invalid credentials.\n                </p>\n' : ""}            </div>
            <input type="hidden" name='action' value='Login'>
            <input id="btn" type="submit" value="Log in" disabled>
        </form>
    </div>
</div>
</body>
</html>
`;
}

/** [CAPTURED] need-user-consent (abridged): the terms of service to agree to. */
function consentPage(user: User): string {
	return `<html>
<head>
    <meta charset="utf-8">
    <title>Bullhorn OAuth - Get Consent</title>
</head>
<body>
<div class="consent">
    <header>
        <h1 id="logo">BULLHORN</h1>
        <h3 id="title">Get Consent</h3>
    </header>
    <form method="POST" name="consentForm">
        <h1>${escapeHtml(user.corpToken)}</h1>
        <h2 id="tos">Terms of Service</h2>
        <input id="agreebtn" type="submit" name="action" value="Agree">
        <input id="declinebtn" type="submit" name="action" value="Decline">
    </form>
</div>
</body>
</html>
`;
}
