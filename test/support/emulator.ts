/** Test-side client of the emulator's control endpoints (seed orgs, read state, calls, faults). */
import { inject } from "vitest";
import type { Organization, RecordedCall } from "../../emulator/emulator.ts";
import type { Fault } from "../../emulator/faults.ts";
import type { Metadata } from "../../emulator/metadata-merge.ts";

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
export async function newOrganization(
	seed: { private_metadata?: Metadata; public_metadata?: Metadata } = {},
) {
	const organization = await control<Organization>("POST", "/organizations", seed);
	return organization.id;
}

export function organization(orgId: string): Promise<Organization> {
	return control<Organization>("GET", `/organizations/${orgId}`);
}

export async function clerkCalls(orgId: string): Promise<RecordedCall[]> {
	const { calls } = await control<{ calls: RecordedCall[] }>(
		"GET",
		`/calls?target=${encodeURIComponent(orgId)}`,
	);
	return calls;
}

/** Makes the next Clerk calls about `orgId` fail in the given ways, one fault per call. */
export function queueClerkFaults(orgId: string, faults: Fault[]): Promise<void> {
	return control("POST", "/faults", { organization: orgId, faults });
}

export function queueCloseFaults(closeApiKey: string, faults: Fault[]): Promise<void> {
	return control("POST", "/faults", { closeApiKey, faults });
}
