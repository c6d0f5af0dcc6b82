/**
 * Key rotation through the real `wrangler dev`: the Cron Trigger and the KEY_ROTATION Durable Object as
 * wrangler.toml declares them, fired with `--test-scheduled`, then checked with the operators' report
 * (`npm run keys:report -- --retired KID`) run as an operator runs it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/server.ts";
import { generateSigningKeyPair } from "../../emulator/tokens.ts";
import { startWranglerDev, type WranglerDev } from "../../scripts/wrangler-dev.ts";
import { decryptApiKey, sealApiKey } from "../../src/crypto/api-key-envelope.ts";
import { parseKeyRing } from "../../src/crypto/key-ring.ts";
import { runKeysReport } from "../node/support/keys-report.ts";

const SECRET_KEY = "sk_test_rotation_0123456789abcdefghijklmnop";
const OLD = "smoke2025:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const ROTATED = `smoke2026:HxwdHhscGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=,${OLD}`;

let emulator: RunningEmulator;
let dev: WranglerDev;
const keys = new Map<string, string>();

beforeAll(async () => {
	emulator = await startEmulator({ secretKey: SECRET_KEY });
	const oldRing = parseKeyRing(OLD);
	if (!oldRing) throw new Error("test ring");
	for (let i = 0; i < 3; i++) {
		const id = `org_rotation${i}`;
		const apiKey = `api_smokerot${i}.secret${i}secret${i}secret${i}`;
		const crm = {
			provider: "close",
			apiKey: await sealApiKey(apiKey, id, oldRing),
			apiKeyLast4: apiKey.slice(-4),
			connectedAt: "2026-01-15T10:30:00.000Z",
		};
		await fetch(`${emulator.url}/__emulator/organizations`, {
			method: "POST",
			headers: { "Content-Type": "application/json" },
			body: JSON.stringify({ id, private_metadata: { crm } }),
		});
		keys.set(id, apiKey);
	}
	dev = await startWranglerDev({
		vars: {
			CLERK_SECRET_KEY: SECRET_KEY,
			CLERK_JWT_KEY: (await generateSigningKeyPair()).publicKeyPem,
			CRM_ENCRYPTION_KEYS: ROTATED,
			CLERK_API_URL: emulator.url,
		},
		testScheduled: true,
		logs: true,
	});
});
afterAll(async () => {
	await dev?.stop();
	await emulator?.close();
});

/** `npm run -s keys:report -- --retired smoke2025` against the emulated instance: its exit code and stderr. */
async function reportOnRetiredKey() {
	const { code, stderr } = await runKeysReport(["--retired", "smoke2025"], {
		CLERK_SECRET_KEY: SECRET_KEY,
		CLERK_API_URL: emulator.url,
	});
	return { code, stderr };
}

/** How many of the seeded organizations' records `kid` seals, as Clerk holds them now. */
async function sealedWith(kid: string): Promise<number> {
	let count = 0;
	for (const orgId of keys.keys()) {
		const response = await fetch(`${emulator.url}/__emulator/organizations/${orgId}`);
		const { private_metadata } = (await response.json()) as {
			private_metadata: { crm: { apiKey: { kid?: string } } };
		};
		if (private_metadata.crm.apiKey.kid === kid) count++;
	}
	return count;
}

describe("wrangler dev --test-scheduled, after CRM_ENCRYPTION_KEYS gained a new first key", () => {
	it("the Cron Trigger re-seals every record under the new key, and the report then finds none under the old one", async () => {
		expect(await reportOnRetiredKey()).toEqual({
			code: 1,
			stderr:
				"smoke2025 still seals 3 record(s): keep it in CRM_ENCRYPTION_KEYS until the rotation job has re-sealed them\n",
		});

		const fired = await fetch(`${dev.url}/__scheduled?cron=${encodeURIComponent("*/5 * * * *")}`);
		expect(fired.status).toBe(200);
		await fired.body?.cancel();
		// The run goes on after /__scheduled answers (ctx.waitUntil): wait for its last write.
		const deadline = Date.now() + 10_000;
		while ((await sealedWith("smoke2025")) > 0 && Date.now() < deadline) {
			await new Promise((resolve) => setTimeout(resolve, 100));
		}

		expect(await reportOnRetiredKey()).toEqual({
			code: 0,
			stderr: "no record is sealed with smoke2025: it can leave CRM_ENCRYPTION_KEYS\n",
		});
		const ring = parseKeyRing(ROTATED) ?? undefined;
		for (const [orgId, apiKey] of keys) {
			const response = await fetch(`${emulator.url}/__emulator/organizations/${orgId}`);
			const { private_metadata } = (await response.json()) as {
				private_metadata: { crm: { apiKey: unknown } };
			};
			expect(private_metadata.crm.apiKey).toMatchObject({ kid: "smoke2026" });
			expect(await decryptApiKey(private_metadata.crm, orgId, ring)).toBe(apiKey);
		}
	});
});
