/** Fixed values the test configuration and the tests share. None of them is a real credential. */
export const TEST_CLERK_SECRET_KEY = "sk_test_emulator_0123456789abcdefghijklmnopqrstuvwxyz";
export const TEST_FRONTEND_ORIGIN = "https://app.example.com";
/** The platform's Bullhorn API key in the tests (BULLHORN_CLIENT_ID, BULLHORN_CLIENT_SECRET). */
export const TEST_BULLHORN_CLIENT = {
	id: "platform-client-0001",
	secret: "platform-secret-0123456789abcdef",
};
/** A Close key the emulator's Close stand-in accepts. */
export const GOOD_CLOSE_API_KEY = "api_7b8KOSMa0OevK9qJvT6F9s.2H3Bt8ktGaQ9kVK45P7j7p";
/** Clerk's limit for a development instance: Backend API requests per 10 s ("system limits" page). */
export const DEVELOPMENT_INSTANCE_LIMIT = 100;

/** GET's body when no CRM is connected (docs/contract.md). */
export const NOT_CONNECTED = { connected: false, provider: null, apiKeyMasked: null } as const;

/**
 * Messages the API answers with, written out from the contract rather than imported from src/, so that
 * a changed message fails the tests that read it.
 */
export const EXPECTED_MESSAGES = {
	clerkUnavailable:
		"Clerk, which keeps the CRM settings, is not answering or is throttling requests; nothing was changed. Try again after Retry-After seconds.",
	notFoundGet: "No such endpoint for GET at this path; the API's paths are listed at /api/v1/openapi.json",
	writeRoleRequired: "Your role in this organization cannot change CRM settings",
	internal: "Internal server error",
	closeUnreachableOnSave:
		"Close could not be reached to verify the API key; nothing was saved. Try again shortly.",
	closeUnreachableOnCheck:
		"Close could not be reached to check the API key; the connection's status was not changed. Try again shortly.",
	bullhornUncheckable:
		"Bullhorn credentials cannot be checked with one request (Bullhorn signs in through OAuth)",
	nothingToCheck: "No CRM is connected to this organization: there is no key to check",
	organizationNotInClerk:
		"Clerk has no organization with your session's organization id (it may have been deleted); sign in to an existing organization",
	bullhornUnreachable:
		"Bullhorn could not be reached, or is throttling requests; nothing was changed. Try again after Retry-After seconds.",
	bullhornSignInRefused:
		"Bullhorn refused the sign-in: the username or password is wrong, or the API user has not yet accepted Bullhorn's terms of service (sign in to Bullhorn once with it and accept them). Nothing was saved.",
	bullhornClientRefused:
		"Bullhorn refused the client id or client secret (your organization's Bullhorn API key). Nothing was saved.",
	bullhornNoClient:
		"This platform has no Bullhorn API key of its own: give your organization's Bullhorn API key as clientId and clientSecret.",
	bullhornReconnect:
		"Bullhorn refused the connection's stored sign-in (its refresh token no longer works): an admin must connect Bullhorn again.",
	tooManyWrites:
		"Too many changes to this organization's CRM settings (at most 10 a minute); try again after Retry-After seconds",
} as const;
