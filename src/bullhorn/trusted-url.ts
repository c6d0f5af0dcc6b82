/**
 * Where an API user's password, a client secret and tokens may be sent: only to Bullhorn. `loginInfo`
 * names the URLs of the user's data center, so whoever answers it could name any host; each URL it gives
 * (and the 307's `Location`) must be `https` on `bullhornstaffing.com` or one of its subdomains. Plain
 * `http` on the loopback interface is accepted only while BULLHORN_LOGIN_INFO_URL itself is on loopback
 * (the emulator, for `npm run dev` and the tests), as CLERK_API_URL and CLOSE_API_URL allow.
 */
import { upstreamFailure } from "../errors/failure.ts";
import { isLoopbackHost } from "../http/loopback.ts";

const BULLHORN_DOMAIN = "bullhornstaffing.com";

function isBullhornHost(hostname: string): boolean {
	return hostname === BULLHORN_DOMAIN || hostname.endsWith(`.${BULLHORN_DOMAIN}`);
}

/**
 * `url` when it may receive Bullhorn credentials; else an `upstream` failure naming `what`, before
 * anything is sent.
 *
 * @example
 * trustedBullhornUrl("https://auth-west.bullhornstaffing.com/oauth", loginInfoUrl, "oauthUrl");
 */
export function trustedBullhornUrl(url: unknown, loginInfoUrl: string, what: string): string {
	const parsed = typeof url === "string" && URL.canParse(url) ? new URL(url) : undefined;
	const trusted =
		parsed !== undefined &&
		parsed.username === "" &&
		parsed.password === "" &&
		((parsed.protocol === "https:" && isBullhornHost(parsed.hostname)) ||
			(isLoopbackHost(new URL(loginInfoUrl).hostname) && isLoopbackHost(parsed.hostname)));
	if (!trusted) {
		throw upstreamFailure("upstream", "bullhorn", `${what} is not a Bullhorn URL: refused`, { attempts: 1 });
	}
	return (url as string).trim();
}
