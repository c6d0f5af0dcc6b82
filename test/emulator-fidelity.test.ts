/**
 * The emulator plays Clerk as Clerk's published API describes it (BAPI OpenAPI spec 2026-05-12, the
 * "system limits" page), so that the service's tests assert against Clerk's behaviour, not inventions.
 * These call the emulator directly, as the Worker does.
 */
import { describe, expect, inject, it } from "vitest";
import { createEmulator } from "../emulator/emulator.ts";
import { DEVELOPMENT_INSTANCE_LIMIT, TEST_CLERK_SECRET_KEY } from "./constants.ts";
import { newOrganization, organization } from "./support/emulator.ts";

const clerk = (path: string, init: RequestInit = {}) =>
	fetch(`${inject("emulatorUrl")}/v1${path}`, {
		...init,
		headers: {
			Authorization: `Bearer ${TEST_CLERK_SECRET_KEY}`,
			"Content-Type": "application/json",
			...init.headers,
		},
	});
const patch = (orgId: string, privateMetadata: unknown) =>
	clerk(`/organizations/${orgId}/metadata`, {
		method: "PATCH",
		body: JSON.stringify({ private_metadata: privateMetadata }),
	});
const errorOf = async (response: Response) =>
	((await response.json()) as { errors: { code: string }[] }).errors[0]?.code;

describe("the emulated Clerk Backend API", () => {
	it("refuses a wrong secret key: 401 clerk_key_invalid", async () => {
		const orgId = await newOrganization();
		const response = await fetch(`${inject("emulatorUrl")}/v1/organizations/${orgId}`, {
			headers: { Authorization: "Bearer sk_test_wrong" },
		});
		expect(response.status).toBe(401);
		expect(await errorOf(response)).toBe("clerk_key_invalid");
	});

	it("does not know an organization: 404 resource_not_found", async () => {
		const response = await clerk("/organizations/org_nosuchorganization");
		expect(response.status).toBe(404);
		expect(await errorOf(response)).toBe("resource_not_found");
	});

	it("refuses metadata over 8 KB: 422 form_param_exceeds_allowed_size, nothing changed", async () => {
		const orgId = await newOrganization({ private_metadata: { kept: true } });
		const response = await patch(orgId, { big: "x".repeat(8 * 1024) });
		expect(response.status).toBe(422);
		expect(await errorOf(response)).toBe("form_param_exceeds_allowed_size");
		expect((await organization(orgId)).private_metadata).toEqual({ kept: true });
	});

	it("allows 10 metadata writes per 10 s per organization, then 429 too_many_requests with Retry-After", async () => {
		const orgId = await newOrganization();
		for (let i = 0; i < 10; i++) expect((await patch(orgId, { n: i })).status).toBe(200);
		const refused = await patch(orgId, { n: 10 });
		expect(refused.status).toBe(429);
		expect(await errorOf(refused)).toBe("too_many_requests");
		expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
		expect((await organization(orgId)).private_metadata).toEqual({ n: 9 });
		// Another organization has a budget of its own.
		expect((await patch(await newOrganization(), { n: 0 })).status).toBe(200);
	});

	it("when configured, limits the whole instance: 100 requests per 10 s, then 429 too_many_requests", async () => {
		// An instance of its own, answering in this isolate: the shared emulators' windows are other tests'.
		const emulator = createEmulator({
			secretKey: TEST_CLERK_SECRET_KEY,
			instanceRequestsPerWindow: DEVELOPMENT_INSTANCE_LIMIT,
			autoCreateOrganizations: true,
		});
		const statuses: number[] = [];
		for (let i = 0; i <= DEVELOPMENT_INSTANCE_LIMIT; i++) {
			const response = await emulator.fetch(
				new Request(`https://clerk.test/v1/organizations/org_${i}`, {
					headers: { Authorization: `Bearer ${TEST_CLERK_SECRET_KEY}` },
				}),
			);
			statuses.push(response.status);
			if (response.status === 429) expect(await errorOf(response)).toBe("too_many_requests");
		}
		expect(statuses.filter((status) => status === 200)).toHaveLength(DEVELOPMENT_INSTANCE_LIMIT);
		expect(statuses.at(-1)).toBe(429);
	});
});
