/**
 * `npm run token -- --org ORG --role ROLE`: prints one development session token, signed with the key
 * in `.dev/` that `npm run dev` configures the Worker with. Only the token goes to stdout, so
 * `TOKEN=$(npm run -s token -- --org org_dev)` works; notes and errors go to stderr.
 */
import { parseArgs } from "node:util";
import { isClerkOrganizationId } from "../src/auth/session.ts";
import { DEV_ORG_ID, DEV_USER_ID, loadOrCreateDevKeys, mintDevToken, readDevVarsState } from "./dev-keys.ts";

const USAGE = `Usage: npm run -s token -- [--org ORG] [--role ROLE] [--user USER] [--v1] [--ttl SECONDS]

Prints a development session token for the Worker that \`npm run dev\` runs against the local Clerk emulator.

  --org ORG       organization id, \`org_\` then letters and digits (default ${DEV_ORG_ID}; the emulator
                  creates it on first use)
  --role ROLE     organization role (default org:admin; "admin" means org:admin, "member" org:member)
  --user USER     user id, stored as connectedBy (default ${DEV_USER_ID})
  --v1            Clerk v1 session claims (org_id, org_role) instead of v2 (o: { id, rol })
  --ttl SECONDS   lifetime (default 3600)
  -h, --help      this text

Example: TOKEN=$(npm run -s token -- --org org_other --role org:member)`;

function fail(message: string): never {
	console.error(`token: ${message}\nSee \`npm run token -- --help\`.`);
	process.exit(2);
}

/** The command line, or exit 2 with the reason (unknown flag, missing value, stray argument). */
function parseOptions() {
	try {
		return parseArgs({
			options: {
				org: { type: "string", default: DEV_ORG_ID },
				role: { type: "string", default: "org:admin" },
				user: { type: "string", default: DEV_USER_ID },
				v1: { type: "boolean", default: false },
				ttl: { type: "string", default: "3600" },
				help: { type: "boolean", short: "h", default: false },
			},
			strict: true,
			allowPositionals: false,
		}).values;
	} catch (error) {
		fail((error as Error).message);
	}
}

const values = parseOptions();
if (values.help) {
	console.log(USAGE);
	process.exit(0);
}
for (const name of ["org", "role", "user"] as const) {
	if (values[name].trim() === "") fail(`--${name} must not be empty`);
}
// The API refuses a token whose organization id is not in Clerk's shape (400, before any Clerk call):
// say so now rather than print a token that can never work.
if (!isClerkOrganizationId(values.org)) {
	fail(
		`--org must be a Clerk organization id, \`org_\` then 1 to 64 letters and digits (e.g. org_acme), got "${values.org}": the API refuses any other`,
	);
}
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0)
	fail(`--ttl must be a positive whole number of seconds, got "${values.ttl}"`);

if (readDevVarsState().kind === "real-clerk") {
	console.error(
		"token: note: .dev.vars holds real Clerk keys, so `npm run dev` verifies tokens from your Clerk instance; this development token will be refused there.",
	);
}

const keys = await loadOrCreateDevKeys();
console.log(
	await mintDevToken(keys, {
		orgId: values.org,
		role: values.role,
		userId: values.user,
		version: values.v1 ? 1 : 2,
		expiresInSeconds: ttl,
	}),
);
