/**
 * The calls of Bullhorn's login flow, as Bullhorn documents them ("Getting Started with REST", the REST
 * API reference): `loginInfo` names the API user's data center; `authorize` with `action=Login` signs the
 * API user in and answers a single-use code in a 302's `Location` (never followed); `token` trades the
 * code, or the last refresh token, for a 10-minute access token and a new refresh token (each refresh
 * token works once); REST `login` trades the access token for a session (`BhRestToken` and the
 * corporation's `restUrl`); `ping` tells when a session ends.
 *
 * Every URL Bullhorn names is checked before anything is sent to it (./trusted-url.ts). Failures are
 * `InternalFailure`s: `unavailable` past the retries, `upstream` for an answer that makes no sense, and
 * what Bullhorn refused by its kind (`sign-in-refused`, `client-refused`, `grant-refused`,
 * `session-refused`), for the service to decide what each means.
 */
import { type InternalFailure, upstreamFailure } from "../errors/failure.ts";
import { fetchWithRetry, type RetryPolicy } from "../http/fetch-with-retry.ts";
import { trustedBullhornUrl } from "./trusted-url.ts";

/**
 * Bullhorn asks clients to wait 1 second and try again after a 429 (REST API reference, "Errors"); the
 * first wait is 1–2 s, the second 2–4 s, within 5 s per call.
 */
export const BULLHORN_RETRY_POLICY: RetryPolicy = {
	attemptTimeoutMs: 3000,
	totalBudgetMs: 5000,
	maxAttempts: 3,
	baseDelayMs: 2000,
};

/** How long each REST session lasts (the login's `ttl`, in minutes; Bullhorn allows up to 2880). */
export const BULLHORN_SESSION_TTL_MINUTES = 60;

export interface BullhornClientKey {
	id: string;
	secret: string;
}

export interface BullhornEndpoints {
	/** Where authorize and token are: `{oauthUrl}/authorize`, `{oauthUrl}/token`. */
	oauthUrl: string;
	/** Where the REST login is: `{restUrl}/login`. */
	restUrl: string;
}

export interface BullhornTokens {
	accessToken: string;
	refreshToken: string;
}

export interface BullhornSession {
	/** The corporation's REST URL, ending in `/`: every REST call goes under it. */
	restUrl: string;
	bhRestToken: string;
}

/**
 * Calls Bullhorn's login services, starting from `loginInfoUrl` (BULLHORN_LOGIN_INFO_URL).
 *
 * @example
 * const bullhorn = bullhornClient("https://rest.bullhornstaffing.com/rest-services/loginInfo");
 * const endpoints = await bullhorn.loginInfo("acme.api");
 */
export function bullhornClient(loginInfoUrl: string) {
	const trusted = (url: unknown, what: string) => trustedBullhornUrl(url, loginInfoUrl, what);

	/**
	 * One call. Passwords, client secrets and refresh tokens go in a form body, never in a URL: URLs are
	 * what proxies and request traces keep. (Bullhorn documents these parameters in the query string;
	 * its OAuth endpoints read a form body the same way, as RFC 6749 has clients send them.)
	 */
	const call = (
		method: "GET" | "POST",
		url: string,
		options: { headers?: Record<string, string>; form?: URLSearchParams } = {},
	) =>
		fetchWithRetry(
			"bullhorn",
			() =>
				new Request(url, {
					method,
					headers: {
						Accept: "application/json",
						...(options.form ? { "Content-Type": "application/x-www-form-urlencoded" } : {}),
						...options.headers,
					},
					...(options.form ? { body: options.form.toString() } : {}),
				}),
			BULLHORN_RETRY_POLICY,
		);

	const json = async (response: Response, what: string): Promise<Record<string, unknown>> => {
		try {
			const body = (await response.json()) as unknown;
			if (typeof body === "object" && body !== null && !Array.isArray(body))
				return body as Record<string, unknown>;
		} catch {}
		throw unusable(
			`${what} answered HTTP ${response.status} with a body that is not a JSON object`,
			response,
		);
	};

	const token = async (
		endpoints: BullhornEndpoints,
		params: Record<string, string>,
	): Promise<BullhornTokens> => {
		const response = await call("POST", `${endpoints.oauthUrl}/token`, { form: new URLSearchParams(params) });
		const body = await json(response, "token");
		if (response.status === 400 && body.error === "invalid_grant")
			throw refused("grant-refused", "token answered invalid_grant", response);
		if (response.status === 401 || body.error === "invalid_client")
			throw refused("client-refused", "token answered invalid_client", response);
		const { access_token: accessToken, refresh_token: refreshToken } = body;
		if (!response.ok || typeof accessToken !== "string" || typeof refreshToken !== "string") {
			throw unusable(`token answered HTTP ${response.status} without tokens`, response);
		}
		return { accessToken, refreshToken };
	};

	return {
		/**
		 * The API user's data center. A 307 to another data center's loginInfo is followed once, as
		 * Bullhorn documents ("you will receive a 307 redirect to the correct data center"); any other
		 * redirect is refused.
		 */
		async loginInfo(username: string): Promise<BullhornEndpoints> {
			const query = `?${new URLSearchParams({ username })}`;
			let response = await call("GET", `${loginInfoUrl}${query}`);
			if (response.status === 307) {
				const location = trusted(response.headers.get("Location"), "loginInfo's 307");
				response = await call("GET", location);
			}
			const body = await json(response, "loginInfo");
			if (!response.ok) throw unusable(`loginInfo answered HTTP ${response.status}`, response);
			return {
				oauthUrl: trusted(body.oauthUrl, "loginInfo's oauthUrl").replace(/\/+$/, ""),
				restUrl: trusted(body.restUrl, "loginInfo's restUrl").replace(/\/+$/, ""),
			};
		},

		/** Signs the API user in (its password is sent here only) and answers the single-use code. */
		async authorize(
			endpoints: BullhornEndpoints,
			client: BullhornClientKey,
			username: string,
			password: string,
		) {
			const params = new URLSearchParams({
				client_id: client.id,
				response_type: "code",
				action: "Login",
				username,
				password,
			});
			// POST, as Bullhorn's own REST client sends it.
			const response = await call("POST", `${endpoints.oauthUrl}/authorize`, { form: params });
			const location = response.status === 302 ? response.headers.get("Location") : null;
			const code = location && URL.canParse(location) ? new URL(location).searchParams.get("code") : null;
			if (code) return code;
			if (response.status !== 200) throw unusable(`authorize answered HTTP ${response.status}`, response);
			// An HTML page instead of a redirect: Bullhorn's "Invalid Client Id" page, or its sign-in page again.
			const page = await response.text();
			if (/Invalid Client Id/i.test(page))
				throw refused("client-refused", "authorize: Invalid Client Id", response);
			throw refused("sign-in-refused", "authorize answered a page without a code", response);
		},

		exchangeCode(endpoints: BullhornEndpoints, client: BullhornClientKey, code: string) {
			return token(endpoints, {
				grant_type: "authorization_code",
				code,
				client_id: client.id,
				client_secret: client.secret,
			});
		},

		/** A new access token and refresh token; the refresh token given is spent, whatever the outcome. */
		refresh(endpoints: BullhornEndpoints, client: BullhornClientKey, refreshToken: string) {
			return token(endpoints, {
				grant_type: "refresh_token",
				refresh_token: refreshToken,
				client_id: client.id,
				client_secret: client.secret,
			});
		},

		/** A REST session for the access token (which it spends), lasting BULLHORN_SESSION_TTL_MINUTES. */
		async restLogin(endpoints: BullhornEndpoints, accessToken: string): Promise<BullhornSession> {
			const params = new URLSearchParams({
				version: "*",
				access_token: accessToken,
				ttl: String(BULLHORN_SESSION_TTL_MINUTES),
			});
			const response = await call("POST", `${endpoints.restUrl}/login?${params}`);
			const body = await json(response, "REST login");
			const { BhRestToken: bhRestToken, restUrl } = body;
			if (!response.ok || typeof bhRestToken !== "string") {
				throw unusable(`REST login answered HTTP ${response.status} without a session`, response);
			}
			const corporationUrl = trusted(restUrl, "the REST login's restUrl");
			return { restUrl: corporationUrl.endsWith("/") ? corporationUrl : `${corporationUrl}/`, bhRestToken };
		},

		/** Whether the session is alive: `GET {restUrl}ping` with the `BhRestToken` header. */
		async ping(session: BullhornSession): Promise<void> {
			const response = await call("GET", `${session.restUrl}ping`, {
				headers: { BhRestToken: session.bhRestToken },
			});
			if (response.status === 401) throw refused("session-refused", "ping answered 401", response);
			const body = await json(response, "ping");
			if (!response.ok || typeof body.sessionExpires !== "number") {
				throw unusable(`ping answered HTTP ${response.status}`, response);
			}
		},
	};
}

export type BullhornClient = ReturnType<typeof bullhornClient>;

function refused(
	kind: "sign-in-refused" | "client-refused" | "grant-refused" | "session-refused",
	reason: string,
	response: Response,
): InternalFailure {
	return upstreamFailure(kind, "bullhorn", reason, { status: response.status, attempts: 1 });
}

function unusable(reason: string, response: Response): InternalFailure {
	return upstreamFailure("upstream", "bullhorn", reason, { status: response.status, attempts: 1 });
}
