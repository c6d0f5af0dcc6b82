/**
 * What the API says to its clients, in one place: the code answers with these, and the OpenAPI
 * document's examples (scripts/openapi/) are built from the same constants, so they cannot drift.
 */

/** The reference's answer to any request without a usable session: 400, not 401 (kept for compatibility). */
export const ORGANIZATION_ID_REQUIRED = "Organization ID required";

export const WRITE_ROLE_REQUIRED = "Your role in this organization cannot change CRM settings";

export const TOO_MANY_WRITES =
	"Too many changes to this organization's CRM settings (at most 10 a minute); try again after Retry-After seconds";

export const INTERNAL_SERVER_ERROR = "Internal server error";

/** A body whose `Content-Type` is not `application/json` (with at most `charset=utf-8`): 415. */
export const BODY_NOT_JSON_MEDIA_TYPE =
	"Request body must be JSON: send Content-Type: application/json (charset utf-8, if any)";
export const BODY_NOT_VALID_JSON = "Request body is not valid JSON";
export const BODY_INVALID = "Request body is invalid";
export const QUERY_INVALID = "Query parameters are invalid";
export const bodyTooLarge = (maxBytes: number) => `Request body must be at most ${maxBytes} bytes`;

export const CLOSE_REJECTED_KEY = "Close rejected the API key";
export const CLOSE_UNREACHABLE =
	"Close could not be reached to verify the API key; nothing was saved. Try again shortly.";

/** Clerk refused a write: the organization's private metadata (other data included) would exceed 8 KB. */
export const METADATA_FULL =
	"Clerk refused the change: the organization's private metadata would exceed Clerk's 8 KB limit. Nothing was changed.";

export const BULLHORN_UNREACHABLE =
	"Bullhorn could not be reached, or is throttling requests; nothing was changed. Try again after Retry-After seconds.";
export const BULLHORN_SIGN_IN_REFUSED =
	"Bullhorn refused the sign-in: the username or password is wrong, or the API user has not yet accepted Bullhorn's terms of service (sign in to Bullhorn once with it and accept them). Nothing was saved.";
export const BULLHORN_CLIENT_REFUSED =
	"Bullhorn refused the client id or client secret (your organization's Bullhorn API key). Nothing was saved.";
export const BULLHORN_NO_CLIENT =
	"This platform has no Bullhorn API key of its own: give your organization's Bullhorn API key as clientId and clientSecret.";
export const BULLHORN_RECONNECT =
	"Bullhorn refused the connection's stored sign-in (its refresh token no longer works): an admin must connect Bullhorn again.";

export const CLOSE_UNREACHABLE_ON_CHECK =
	"Close could not be reached to check the API key; the connection's status was not changed. Try again shortly.";
export const NOTHING_TO_CHECK = "No CRM is connected to this organization: there is no key to check";

export const CLERK_UNAVAILABLE =
	"Clerk, which keeps the CRM settings, is not answering or is throttling requests; nothing was changed. Try again after Retry-After seconds.";
export const ORGANIZATION_NOT_IN_CLERK =
	"Clerk has no organization with your session's organization id (it may have been deleted); sign in to an existing organization";

/**
 * The path is not repeated: a token or key pasted into a URL by mistake must not come back in the
 * answer (or in any log that keeps answers).
 */
export const noSuchEndpoint = (method: string) =>
	`No such endpoint for ${method} at this path; the API's paths are listed at /api/v1/openapi.json`;
export const methodNotAllowed = (method: string, allowed: string) =>
	`${method} is not supported here; use ${allowed}`;
