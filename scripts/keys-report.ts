/**
 * `npm run -s keys:report`: how many CRM records each key id of `CRM_ENCRYPTION_KEYS` still seals, read
 * from the Clerk instance of `CLERK_SECRET_KEY` (and `CLERK_API_URL`, default Clerk's). It never opens a
 * record: the key id is in the clear in each envelope, so the report needs no key ring.
 *
 *   --retired KID   exit 1 while any record is still sealed with KID (repeatable): the check before
 *                   removing KID from the ring, e.g. `npm run -s keys:report -- --retired k2025`
 *   --json          the counts as JSON
 *
 * Exit status: 0 done (and no retired key id in use), 1 a retired key id still in use, 2 bad usage or
 * Clerk could not be read.
 */
import { parseArgs } from "node:util";
import { CLERK_MAX_PAGE, clerkOrganizationStore } from "../src/clerk/organization-store.ts";
import { METADATA_KEY, readRecord, sealingOf } from "../src/crm/record.ts";
import { countSealing, countsAsObject, type SealingCounts } from "../src/rotation/sealing.ts";

const USAGE = `Usage: CLERK_SECRET_KEY=sk_… npm run -s keys:report -- [--retired KID]… [--json]`;

function fail(message: string): never {
	console.error(`keys:report: ${message}\n${USAGE}`);
	process.exit(2);
}

function parseOptions() {
	try {
		return parseArgs({
			options: {
				retired: { type: "string", multiple: true, default: [] },
				json: { type: "boolean", default: false },
				help: { type: "boolean", short: "h", default: false },
			},
			strict: true,
			allowPositionals: false,
		}).values;
	} catch (error) {
		fail((error as Error).message);
	}
}

/** Every organization's record, counted by what seals it; one Clerk call per 500 organizations. */
async function census(clerkApiUrl: string, clerkSecretKey: string) {
	const store = clerkOrganizationStore({ clerkApiUrl, clerkSecretKey });
	const counts: SealingCounts = new Map();
	let organizations = 0;
	for (let offset = 0; ; offset += CLERK_MAX_PAGE) {
		const page = await store.listOrganizations(offset, CLERK_MAX_PAGE);
		for (const organization of page.organizations) {
			countSealing(counts, sealingOf(readRecord(organization.privateMetadata[METADATA_KEY])));
		}
		organizations += page.organizations.length;
		if (page.organizations.length < CLERK_MAX_PAGE) return { organizations, counts };
	}
}

const options = parseOptions();
if (options.help) {
	console.log(USAGE);
	process.exit(0);
}
const secretKey = process.env.CLERK_SECRET_KEY?.trim();
if (!secretKey) fail("CLERK_SECRET_KEY is not set (the secret key of the Clerk instance to report on)");
const clerkApiUrl = (process.env.CLERK_API_URL?.trim() || "https://api.clerk.com").replace(/\/+$/, "");

let result: Awaited<ReturnType<typeof census>>;
try {
	result = await census(clerkApiUrl, secretKey);
} catch (error) {
	// The failure's own message: it names the cause (a refused secret, Clerk unavailable), never a key.
	fail(`could not read the organizations from Clerk: ${(error as Error).message}`);
}
const { organizations, counts } = result;
const stillUsed = options.retired.filter((kid) => (counts.get(kid) ?? 0) > 0);

if (options.json) {
	console.log(JSON.stringify({ organizations, records: countsAsObject(counts) }));
} else {
	const rows = [...counts].sort(([a], [b]) => a.localeCompare(b));
	console.log(`${organizations} organizations; CRM records by what seals them:`);
	for (const [label, count] of rows) console.log(`  ${label.padEnd(24)} ${count}`);
	if (rows.length === 0) console.log("  (none)");
}
for (const kid of options.retired) {
	const count = counts.get(kid) ?? 0;
	console.error(
		count > 0
			? `${kid} still seals ${count} record(s): keep it in CRM_ENCRYPTION_KEYS until the rotation job has re-sealed them`
			: `no record is sealed with ${kid}: it can leave CRM_ENCRYPTION_KEYS`,
	);
}
process.exit(stillUsed.length > 0 ? 1 : 0);
