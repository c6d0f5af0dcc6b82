/**
 * The organizations and session tokens of `npm run bench`: organizations seeded in the emulator through
 * its control endpoint, each with a connected CRM (so GET does the whole read path), and one admin
 * session token per organization, signed with the run's key.
 */
import { mintSessionToken } from "../../emulator/tokens.ts";

export const BENCH_API_KEY = "api_4fBenchKeyId0000000000.benchSecret000000000";

/** Seeds `count` organizations named `org_<prefix>00000`, … and returns their ids. */
export async function seedOrganizations(
	emulatorUrl: string,
	prefix: string,
	count: number,
): Promise<string[]> {
	const ids = Array.from({ length: count }, (_, i) => `org_${prefix}${String(i).padStart(5, "0")}`);
	const crm = {
		provider: "close",
		apiKey: BENCH_API_KEY,
		apiKeyLast4: BENCH_API_KEY.slice(-4),
		apiKeyId: BENCH_API_KEY.split(".")[0],
		connectedAt: new Date().toISOString(),
		connectedBy: "user_bench",
	};
	await inBatches(ids, async (id) => {
		const response = await fetch(`${emulatorUrl}/__emulator/organizations`, {
			method: "POST",
			headers: { "Content-Type": "application/json" },
			body: JSON.stringify({ id, private_metadata: { crm } }),
		});
		if (!response.ok) throw new Error(`seeding ${id}: HTTP ${response.status}`);
		await response.body?.cancel();
	});
	return ids;
}

/** One admin session token per organization, valid long enough for the whole run. */
export function mintTokens(
	signingKey: CryptoKey,
	orgIds: string[],
	authorizedParty: string,
): Promise<string[]> {
	return inBatches(orgIds, (orgId) =>
		mintSessionToken(signingKey, { orgId, authorizedParty, expiresInSeconds: 900 }),
	);
}

/**
 * Hands out `Authorization` headers round-robin over `tokens`. One rotation shared by every write
 * phase writes each organization `ceil(writes / tokens.length)` times at most over the run.
 */
export function rotation(tokens: string[]): () => Record<string, string> {
	let next = 0;
	return () => ({ authorization: `Bearer ${tokens[next++ % tokens.length]}` });
}

async function inBatches<T, R>(items: T[], work: (item: T) => Promise<R>, size = 50): Promise<R[]> {
	const results: R[] = [];
	for (let i = 0; i < items.length; i += size) {
		results.push(...(await Promise.all(items.slice(i, i + size).map(work))));
	}
	return results;
}
