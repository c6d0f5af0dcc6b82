/** Test-side client of the emulator's Bullhorn (emulator/bullhorn.ts): API users, their calls, faults. */
import { inject } from "vitest";
import type { BullhornCall, BullhornFault, BullhornUserSeed } from "../../emulator/bullhorn.ts";
import { TEST_BULLHORN_CLIENT } from "../constants.ts";

const emulatorUrl = () => inject("emulatorUrl");

async function control<T>(method: string, path: string, body?: unknown): Promise<T> {
	const response = await fetch(`${emulatorUrl()}/__emulator/bullhorn${path}`, {
		method,
		headers: { "Content-Type": "application/json" },
		...(body === undefined ? {} : { body: JSON.stringify(body) }),
	});
	if (!response.ok) throw new Error(`emulator ${method} bullhorn${path}: HTTP ${response.status}`);
	return (response.status === 204 ? undefined : await response.json()) as T;
}

export interface BullhornApiUser {
	username: string;
	password: string;
}

/**
 * A Bullhorn API user of its own, signing in with the platform's client (the tests' BULLHORN_CLIENT_ID)
 * unless `seed` names another.
 */
export async function newBullhornUser(seed: Partial<BullhornUserSeed> = {}): Promise<BullhornApiUser> {
	const username = `api.${crypto.randomUUID().slice(0, 12)}`;
	const password = `pw-${crypto.randomUUID()}`;
	await control("POST", "/users", {
		username,
		password,
		clientId: TEST_BULLHORN_CLIENT.id,
		clientSecret: TEST_BULLHORN_CLIENT.secret,
		...seed,
	});
	return { username: seed.username ?? username, password: seed.password ?? password };
}

export interface BullhornUserState {
	liveSessions: number;
	refreshTokens: { valid: number; used: number; revoked: number };
}

export const bullhornUser = (username: string) => control<BullhornUserState>("GET", `/users/${username}`);

/** The calls the emulated Bullhorn received about `username` (parameter names only, never values). */
export async function bullhornCalls(username: string): Promise<BullhornCall[]> {
	const { calls } = await control<{ calls: BullhornCall[] }>(
		"GET",
		`/calls?username=${encodeURIComponent(username)}`,
	);
	return calls;
}

export const queueBullhornFaults = (username: string, faults: BullhornFault[]) =>
	control("POST", "/faults", { username, faults });

/** As when the API user's password changes in Bullhorn: every refresh token of the user stops working. */
export const revokeRefreshTokens = (username: string) =>
	control("POST", `/users/${username}/revoke-refresh-tokens`);
