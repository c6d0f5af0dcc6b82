/**
 * `npm run -s keys:report`, run as an operator runs it (a child process with CLERK_SECRET_KEY and
 * CLERK_API_URL in its environment), against an emulated Clerk instance of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator/server.ts";
import { runKeysReport } from "./support/keys-report.ts";

const SECRET = "sk_test_keys_report_000000000000";
let clerk: Awaited<ReturnType<typeof startEmulator>>;

const envelope = (kid: string) => ({
	v: 1,
	alg: "A256GCM",
	kid,
	iv: "AAAAAAAAAAAAAAAA",
	ct: "AAAAAAAAAAAAAAAAAAAAAA==",
});
const record = (apiKey: unknown) => ({ provider: "close", apiKey, connectedAt: "2026-01-15T10:30:00.000Z" });

beforeAll(async () => {
	clerk = await startEmulator({ secretKey: SECRET });
	const seeds = [
		record(envelope("k2026")),
		record(envelope("k2026")),
		record(envelope("k2025")),
		record("api_plain.secret"),
		{ provider: "hubspot" },
		undefined,
	];
	// 501 organizations in all, so the report reads a second page (Clerk's pages hold 500).
	for (let i = 0; i < 495; i++) seeds.push(undefined);
	const created = await fetch(`${clerk.url}/__emulator/organizations`, {
		method: "POST",
		headers: { "Content-Type": "application/json" },
		body: JSON.stringify(seeds.map((crm) => (crm === undefined ? {} : { private_metadata: { crm } }))),
	});
	expect(created.status).toBe(201);
});
afterAll(() => clerk.close());

const report = (
	args: string[],
	env: Record<string, string> = { CLERK_SECRET_KEY: SECRET, CLERK_API_URL: clerk.url },
) => runKeysReport(args, env);

// Each case starts its own processes and only reads Clerk: they run side by side.
describe.concurrent("npm run keys:report", () => {
	it("counts the records each key id seals, plaintext and unreadable ones apart, over every page", async () => {
		const { code, stdout } = await report(["--json"]);
		expect(code).toBe(0);
		expect(JSON.parse(stdout)).toEqual({
			organizations: 501,
			records: { k2026: 2, k2025: 1, plaintext: 1, unreadable: 1 },
		});
	});

	it("--retired fails (exit 1) while a record still names the key id, and passes once none does", async () => {
		const [inUse, gone] = await Promise.all([report(["--retired", "k2025"]), report(["--retired", "k2024"])]);
		expect(inUse.code).toBe(1);
		expect(inUse.stdout).toContain("k2025                    1");
		expect(inUse.stderr).toBe(
			"k2025 still seals 1 record(s): keep it in CRM_ENCRYPTION_KEYS until the rotation job has re-sealed them\n",
		);
		expect(gone.code).toBe(0);
		expect(gone.stderr).toBe("no record is sealed with k2024: it can leave CRM_ENCRYPTION_KEYS\n");
	});

	it("exits 2 with the cause when Clerk refuses the secret or none is set, never printing it", async () => {
		const [refused, unset] = await Promise.all([
			report([], { CLERK_SECRET_KEY: "sk_test_wrong_secret_0000", CLERK_API_URL: clerk.url }),
			report([], { CLERK_API_URL: clerk.url }),
		]);
		expect(refused.code).toBe(2);
		expect(refused.stderr).toContain(
			"could not read the organizations from Clerk: CLERK_SECRET_KEY was refused by Clerk (HTTP 401)",
		);
		expect(refused.stderr).not.toContain("sk_test_wrong_secret_0000");
		expect(unset.code).toBe(2);
		expect(unset.stderr).toContain("CLERK_SECRET_KEY is not set");
	});
});
