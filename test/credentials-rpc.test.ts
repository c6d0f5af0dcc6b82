/**
 * The RPC entrypoint for the platform's Workers, called through a real loopback service binding to the
 * named entrypoint (`exports.CrmCredentials` of `cloudflare:workers`), as another Worker's binding
 * would reach it. The key ring stays in this Worker: the caller gets plaintext, never the ring.
 */
import { createExecutionContext, env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sealApiKey } from "../src/crypto/api-key-envelope.ts";
import { parseKeyRing } from "../src/crypto/key-ring.ts";
import { CrmCredentials } from "../src/rpc/credentials.ts";
import { GOOD_CLOSE_API_KEY } from "./constants.ts";
import { saveSettings } from "./support/api.ts";
import { newOrganization, writeInClerk } from "./support/emulator.ts";
import { captureLogs } from "./support/logs.ts";
import { tokenFor } from "./support/tokens.ts";

const RING = "k2026:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const credentials = exports.CrmCredentials;

describe("CrmCredentials over a service binding", () => {
	it("returns a connected organization's plaintext key, its id and status, or null when none is connected", async () => {
		const orgId = await newOrganization();
		expect(await credentials.getCredential(orgId)).toBeNull();

		const saved = await saveSettings({
			token: await tokenFor(orgId),
			body: { provider: "close", apiKey: GOOD_CLOSE_API_KEY, verify: true },
		});
		expect(saved.status).toBe(200);
		expect(await credentials.getCredential(orgId)).toEqual({
			provider: "close",
			apiKey: GOOD_CLOSE_API_KEY,
			apiKeyId: "api_7b8KOSMa0OevK9qJvT6F9s",
			connectedAt: (saved.body as { connectedAt: string }).connectedAt,
			status: "verified",
			checkedAt: (saved.body as { connectedAt: string }).connectedAt,
		});
	});

	it("refuses an organization id that is not Clerk's shape, before any Clerk call", async () => {
		const error = await credentials.getCredential("../metadata").then(
			() => undefined,
			(thrown: unknown) => thrown,
		);
		expect(error).toBeInstanceOf(Error);
		expect((error as Error).message).toBe(
			"orgId is not a Clerk organization id (org_ followed by letters and digits)",
		);
	});

	it("never repeats a refused argument, in the error or the log: a secret passed by mistake goes nowhere", async () => {
		const logs = captureLogs();
		const secret = "sk_live_passed_by_mistake_0123456789";
		const error = await credentials.getCredential(secret).catch((thrown: Error) => thrown);
		expect((error as Error).message).not.toContain("passed_by_mistake");
		expect(logs.entries()).toEqual([
			{
				level: "warn",
				msg: "rpc getCredential",
				outcome: "refused",
				problem: "orgId is not a Clerk organization id (org_ followed by letters and digits)",
			},
		]);
	});
});

describe("with CRM_ENCRYPTION_KEYS set (the entrypoint built with a ring, called directly)", () => {
	const withRing = () =>
		new CrmCredentials(createExecutionContext(), { ...env, CRM_ENCRYPTION_KEYS: RING } as Env);
	const record = (apiKey: unknown) => ({
		provider: "close",
		apiKey,
		apiKeyLast4: "7j7p",
		apiKeyId: "api_7b8KOSMa0OevK9qJvT6F9s",
		connectedAt: "2026-01-15T10:30:00.000Z",
	});

	it("opens a sealed key inside this Worker and hands out the plaintext; a copy in another organization does not open", async () => {
		const ring = parseKeyRing(RING);
		if (!ring) throw new Error("test ring");
		const orgId = await newOrganization();
		const envelope = await sealApiKey(GOOD_CLOSE_API_KEY, orgId, ring);
		await writeInClerk(orgId, { crm: record(envelope) });
		expect(await withRing().getCredential(orgId)).toEqual({
			provider: "close",
			apiKey: GOOD_CLOSE_API_KEY,
			apiKeyId: "api_7b8KOSMa0OevK9qJvT6F9s",
			connectedAt: "2026-01-15T10:30:00.000Z",
			status: "unverified",
			checkedAt: null,
		});
		// The organization id is the envelope's additional data: copied elsewhere, it does not open.
		const other = await newOrganization({ private_metadata: { crm: record(envelope) } });
		await expect(withRing().getCredential(other)).rejects.toThrow("the envelope does not open");
	});

	it("refuses a plaintext key found in the metadata: no downgrade", async () => {
		const orgId = await newOrganization({ private_metadata: { crm: record(GOOD_CLOSE_API_KEY) } });
		await expect(withRing().getCredential(orgId)).rejects.toThrow(
			"the stored CRM credential is in plaintext although CRM_ENCRYPTION_KEYS is set: refused; the organization's admin must reconnect the CRM",
		);
	});
});
