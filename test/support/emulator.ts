/**
 * Test-side client of the emulator's control endpoints (seed orgs, read state, calls, faults): the
 * loopback emulator, or the in-process one while a test uses it (./in-process-emulator.ts).
 */
import { inject } from "vitest";
import type { Organization, OrganizationSeed, RecordedCall } from "../../emulator/emulator.ts";
import type { Fault } from "../../emulator/faults.ts";
import { TEST_CLERK_SECRET_KEY } from "../constants.ts";

const emulatorUrl = () => inject("emulatorUrl");

async function control<T>(method: string, path: string, body?: unknown): Promise<T> {
	const response = await fetch(`${emulatorUrl()}/__emulator${path}`, {
		method,
		headers: { "Content-Type": "application/json" },
		...(body === undefined ? {} : { body: JSON.stringify(body) }),
	});
	if (!response.ok) throw new Error(`emulator ${method} ${path}: HTTP ${response.status}`);
	return (response.status === 204 ? undefined : await response.json()) as T;
}

/** A new organization of its own, so that tests running side by side never share state. */
export async function newOrganization(seed: Omit<OrganizationSeed, "id"> = {}) {
	const organization = await control<Organization>("POST", "/organizations", seed);
	return organization.id;
}

/**
 * New organizations of their own, all seeded alike, created a batch at a time (one request to the
 * emulator per batch): for the batteries, which need a fresh organization for each of hundreds of cases.
 *
 * @example
 * const nextOrganization = organizationSupply({ private_metadata: { crm } });
 * const orgId = await nextOrganization();
 */
export function organizationSupply(
	seed: Omit<OrganizationSeed, "id"> = {},
	batchSize = 50,
): () => Promise<string> {
	const ready: string[] = [];
	return async () => {
		if (ready.length === 0) {
			const created = await control<Organization[]>("POST", "/organizations", Array(batchSize).fill(seed));
			ready.push(...created.map((organization) => organization.id));
		}
		return ready.shift() as string;
	};
}

export function organization(orgId: string): Promise<Organization> {
	return control<Organization>("GET", `/organizations/${orgId}`);
}

/** The upstream calls recorded for `target`: an organization id (Clerk) or a Close key id. */
export async function clerkCalls(orgId: string): Promise<RecordedCall[]> {
	const [calls] = await callsOfEach([orgId]);
	return calls ?? [];
}

/** The upstream calls recorded for each of `targets`, in one request to the emulator. */
export async function callsOfEach(targets: string[]): Promise<RecordedCall[][]> {
	const query = targets.map((target) => `target=${encodeURIComponent(target)}`).join("&");
	const { calls } = await control<{ calls: RecordedCall[] }>("GET", `/calls?${query}`);
	return targets.map((target) => calls.filter((call) => call.target === target));
}

/** Makes the next Clerk calls about `orgId` fail in the given ways, one fault per call. */
export function queueClerkFaults(orgId: string, faults: Fault[]): Promise<void> {
	return control("POST", "/faults", { organization: orgId, faults });
}

export function queueCloseFaults(closeApiKey: string, faults: Fault[]): Promise<void> {
	return control("POST", "/faults", { closeApiKey, faults });
}

/** A Close API key of its own (`api_<id>.<secret>`) that the emulator's Close accepts. */
export async function newCloseApiKey(): Promise<string> {
	const random = () => crypto.randomUUID().replaceAll("-", "");
	const apiKey = `api_${random().slice(0, 22)}.${random()}`;
	await control("POST", "/close-keys", { apiKey });
	return apiKey;
}

/** Deletes `apiKey` in the emulated Close, as an admin revoking it there: Close answers it 401 from now on. */
export function revokeCloseApiKey(apiKey: string): Promise<void> {
	return control("DELETE", "/close-keys", { apiKey });
}

/** The Close calls made with `apiKey` (recorded under the key's shareable id). */
export function closeCalls(apiKey: string): Promise<RecordedCall[]> {
	return clerkCalls(apiKey.split(".")[0] as string);
}

/**
 * Writes `privateMetadata` through the emulated Backend API itself, as the Clerk dashboard or another
 * service would: a change that does not go through this API.
 */
export async function writeInClerk(orgId: string, privateMetadata: Record<string, unknown>): Promise<void> {
	const response = await fetch(`${emulatorUrl()}/v1/organizations/${orgId}/metadata`, {
		method: "PATCH",
		headers: { Authorization: `Bearer ${TEST_CLERK_SECRET_KEY}`, "Content-Type": "application/json" },
		body: JSON.stringify({ private_metadata: privateMetadata }),
	});
	if (!response.ok) throw new Error(`emulated Clerk PATCH metadata: HTTP ${response.status}`);
}
