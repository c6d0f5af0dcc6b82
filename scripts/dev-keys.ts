/**
 * Development credentials shared by `npm run dev` and `npm run token`: one RSA key pair and one Clerk
 * secret key, generated on first use and kept in `.dev/` (gitignored) so that tokens minted by either
 * command verify against the Worker that `npm run dev` starts, across restarts.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseEnv } from "node:util";
import { generateSigningKeyPair, importSigningKey, mintSessionToken } from "../emulator/tokens.ts";

export const ROOT = resolve(import.meta.dirname, "..");
export const DEV_DIR = join(ROOT, ".dev");
const KEYS_FILE = join(DEV_DIR, "keys.json");

/** The organization, user and Close key `npm run dev` prints examples for. */
export const DEV_ORG_ID = "org_dev";
export const DEV_USER_ID = "user_dev";
/** The only key the emulator's Close stand-in accepts (`GET /api/v1/me/`); not a real credential. */
export const DEV_CLOSE_API_KEY = "api_dev0000000000000000000.devsecret000000000000000";
/**
 * The Bullhorn API user the emulator's Bullhorn knows under `npm run dev`, and the platform's Bullhorn
 * API key (BULLHORN_CLIENT_ID, BULLHORN_CLIENT_SECRET) it signs in with: not real credentials.
 */
export const DEV_BULLHORN_USER = { username: "dev.api", password: "dev-password" };
export const DEV_BULLHORN_CLIENT = { id: "dev-platform-client", secret: "dev-platform-client-secret" };

export interface DevKeys {
	/** The `CLERK_SECRET_KEY` the emulator accepts. */
	secretKey: string;
	/** Signs development session tokens. */
	privateKeyPem: string;
	/** The `CLERK_JWT_KEY` the Worker verifies them with. */
	publicKeyPem: string;
	/** A `CRM_ENCRYPTION_KEYS` ring of one key, so that local records are sealed as in production. */
	encryptionKeys: string;
}

/** A one-key ring in `CRM_ENCRYPTION_KEYS` form: `dev:` then 32 random bytes in base64. */
const newEncryptionKeys = () => `dev:${randomBytes(32).toString("base64")}`;

/**
 * Reads the development keys from `.dev/keys.json`, creating them on first use.
 *
 * @example
 * const keys = await loadOrCreateDevKeys(); // { secretKey: "sk_test_dev_…", privateKeyPem, publicKeyPem }
 */
export async function loadOrCreateDevKeys(): Promise<DevKeys> {
	if (existsSync(KEYS_FILE)) return readKeys();

	const pair = await generateSigningKeyPair();
	const keys: DevKeys = {
		secretKey: `sk_test_dev_${randomBytes(24).toString("hex")}`,
		...pair,
		encryptionKeys: newEncryptionKeys(),
	};
	mkdirSync(DEV_DIR, { recursive: true });
	try {
		// "wx": when `npm run dev` and `npm run token` race on a fresh machine, the first writer wins and
		// the other reads its keys, so both sign with the same pair.
		writeFileSync(KEYS_FILE, `${JSON.stringify(keys, null, "\t")}\n`, { flag: "wx", mode: 0o600 });
		return keys;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === "EEXIST") return readKeys();
		throw error;
	}
}

function readKeys(): DevKeys {
	const keys = JSON.parse(readFileSync(KEYS_FILE, "utf8")) as Partial<DevKeys>;
	const { secretKey, privateKeyPem, publicKeyPem } = keys;
	if (
		typeof secretKey !== "string" ||
		typeof privateKeyPem !== "string" ||
		typeof publicKeyPem !== "string"
	) {
		throw new Error(`${KEYS_FILE} is incomplete; delete the .dev folder to generate fresh keys`);
	}
	if (typeof keys.encryptionKeys === "string") {
		return { secretKey, privateKeyPem, publicKeyPem, encryptionKeys: keys.encryptionKeys };
	}
	// Made before development keys included a ring: add one, keeping the signing keys (and so every
	// token minted with them).
	const upgraded = { secretKey, privateKeyPem, publicKeyPem, encryptionKeys: newEncryptionKeys() };
	writeFileSync(KEYS_FILE, `${JSON.stringify(upgraded, null, "\t")}\n`, { mode: 0o600 });
	return upgraded;
}

export interface DevTokenOptions {
	orgId: string;
	/** `org:admin`, `org:member`, …; a role without the prefix gets it, as Clerk role keys always have it. */
	role: string;
	userId: string;
	version: 1 | 2;
	expiresInSeconds: number;
}

/**
 * A session token signed with the development key, with the claims Clerk would put in it.
 *
 * @example
 * await mintDevToken(keys, { orgId: "org_dev", role: "admin", userId: "user_dev", version: 2, expiresInSeconds: 3600 });
 */
export async function mintDevToken(keys: DevKeys, options: DevTokenOptions): Promise<string> {
	return mintSessionToken(await importSigningKey(keys.privateKeyPem), {
		orgId: options.orgId,
		role: normalizeRole(options.role),
		userId: options.userId,
		sessionId: "sess_dev",
		version: options.version,
		expiresInSeconds: options.expiresInSeconds,
	});
}

export function normalizeRole(role: string): string {
	return role.startsWith("org:") ? role : `org:${role}`;
}

export type DevVarsState =
	| { kind: "absent" }
	| { kind: "real-clerk" }
	| { kind: "incomplete"; reason: string };

/**
 * Whether `.dev.vars` switches local development to a real Clerk instance: it must set both
 * CLERK_SECRET_KEY and CLERK_JWT_KEY, and neither may still be the placeholder of `.dev.vars.example`
 * (a copied but unedited example would otherwise start a Worker that refuses every token).
 */
export function readDevVarsState(): DevVarsState {
	const path = join(ROOT, ".dev.vars");
	if (!existsSync(path)) return { kind: "absent" };
	const vars = parseEnv(readFileSync(path, "utf8"));
	const examplePath = join(ROOT, ".dev.vars.example");
	const example = existsSync(examplePath) ? parseEnv(readFileSync(examplePath, "utf8")) : {};
	for (const name of ["CLERK_SECRET_KEY", "CLERK_JWT_KEY"]) {
		const value = vars[name]?.trim();
		if (!value) return { kind: "incomplete", reason: `${name} is not set` };
		if (value === example[name]?.trim())
			return { kind: "incomplete", reason: `${name} is the example placeholder` };
	}
	return { kind: "real-clerk" };
}
