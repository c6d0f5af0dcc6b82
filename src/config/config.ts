import * as z from "zod/mini";
import { normalizeJwtKey } from "../auth/jwt-key.ts";
import { type KeyRing, parseKeyRing } from "../crypto/key-ring.ts";
import { InternalFailure } from "../errors/failure.ts";
import { isLoopbackHost } from "../http/loopback.ts";

/** The Worker's configuration, parsed once per isolate from its bindings (docs/contract.md §7). */
export interface Config {
	clerkSecretKey: string;
	/** Canonical PEM of the Clerk instance's public key; verification never fetches JWKS. */
	clerkJwtKey: string;
	clerkApiUrl: string;
	/** Front-end origins: the only accepted `azp` values and the CORS allow-list. Empty: no `azp` check. */
	authorizedParties: string[];
	/** Roles that may POST and DELETE, with the `org:` prefix; `"*"` lets any member write. */
	writeRoles: string[] | "*";
	closeApiUrl: string;
	/** Where Bullhorn tells each API user's data center (`loginInfo`). */
	bullhornLoginInfoUrl: string;
	/** The platform's Bullhorn API key (OAuth client), or null when it has none. */
	bullhornClient: { id: string; secret: string } | null;
	/** At-rest encryption of API keys; null stores them in plaintext, as the reference does. */
	encryptionKeys: KeyRing | null;
	/** How long settings read from Clerk answer GETs without another Clerk call (0: every GET asks). */
	cacheTtlMs: number;
	/** How long after it was read a copy may answer a GET while Clerk is throttling or failing. */
	staleIfErrorMs: number;
	/** Most Clerk calls one run of the key-rotation job makes (a page read or a re-sealed record each). */
	rotationClerkCallsPerRun: number;
	/**
	 * Whether the key-rotation job also seals plaintext records: on only while an operator migrates the
	 * records saved before the ring existed (a plaintext record could also have been planted).
	 */
	rotationSealsPlaintext: boolean;
}

const required = (name: string) =>
	z.string({ error: `${name} is not set` }).check(z.trim(), z.minLength(1, `${name} is empty`));

const baseUrl = (name: string, fallback: string) =>
	z.pipe(
		z._default(z.string(), fallback),
		z.transform((value, ctx) => {
			const text = value.trim() || fallback;
			if (!URL.canParse(text)) {
				ctx.issues.push({ code: "custom", input: value, message: `${name} is not a URL` });
				return z.NEVER;
			}
			// The Clerk secret and CRM keys travel to these URLs: plain http only to this machine.
			const { protocol, hostname } = new URL(text);
			if (protocol !== "https:" && !(protocol === "http:" && isLoopbackHost(hostname))) {
				ctx.issues.push({
					code: "custom",
					input: value,
					message: `${name} must be an https URL (http only for localhost)`,
				});
				return z.NEVER;
			}
			return text.replace(/\/+$/, "");
		}),
	);

const commaList = z.pipe(
	z._default(z.string(), ""),
	z.transform((value) =>
		value
			.split(",")
			.map((item) => item.trim())
			.filter((item) => item !== ""),
	),
);

/** A whole number from `min` to `max`, given as a string (wrangler vars and secrets are strings). */
const wholeNumber = (name: string, fallback: number, min: number, max: number, unit: string) =>
	z.pipe(
		z._default(z.string(), String(fallback)),
		z.transform((value, ctx) => {
			const text = value.trim() || String(fallback);
			if (!/^\d{1,6}$/.test(text) || Number(text) < min || Number(text) > max) {
				ctx.issues.push({
					code: "custom",
					input: value,
					message: `${name} must be whole ${unit} from ${min} to ${max}`,
				});
				return z.NEVER;
			}
			return Number(text);
		}),
	);
/** Whole seconds from 0 to 1 hour, as milliseconds. */
const seconds = (name: string, fallback: number) =>
	z.pipe(
		wholeNumber(name, fallback, 0, 3600, "seconds"),
		z.transform((value) => value * 1000),
	);

/** "true" or "false" (default false): a switch an operator turns on on purpose. */
const flag = (name: string) =>
	z.pipe(
		z._default(z.string(), "false"),
		z.transform((value, ctx) => {
			const text = value.trim().toLowerCase();
			if (text === "true" || text === "false" || text === "") return text === "true";
			ctx.issues.push({ code: "custom", input: value, message: `${name} must be true or false` });
			return z.NEVER;
		}),
	);

const envSchema = z.object({
	CLERK_SECRET_KEY: required("CLERK_SECRET_KEY"),
	CLERK_JWT_KEY: required("CLERK_JWT_KEY"),
	CLERK_API_URL: baseUrl("CLERK_API_URL", "https://api.clerk.com"),
	CLERK_AUTHORIZED_PARTIES: commaList,
	CRM_WRITE_ROLES: commaList,
	CLOSE_API_URL: baseUrl("CLOSE_API_URL", "https://api.close.com"),
	BULLHORN_LOGIN_INFO_URL: baseUrl(
		"BULLHORN_LOGIN_INFO_URL",
		"https://rest.bullhornstaffing.com/rest-services/loginInfo",
	),
	BULLHORN_CLIENT_ID: z.optional(z.string({ error: "BULLHORN_CLIENT_ID must be a string" })),
	BULLHORN_CLIENT_SECRET: z.optional(z.string({ error: "BULLHORN_CLIENT_SECRET must be a string" })),
	CRM_ENCRYPTION_KEYS: z.optional(z.string({ error: "CRM_ENCRYPTION_KEYS must be a string" })),
	CRM_CACHE_TTL_SECONDS: seconds("CRM_CACHE_TTL_SECONDS", 30),
	CRM_CACHE_STALE_IF_ERROR_SECONDS: seconds("CRM_CACHE_STALE_IF_ERROR_SECONDS", 300),
	CRM_ROTATION_SEAL_PLAINTEXT: flag("CRM_ROTATION_SEAL_PLAINTEXT"),
	// Clerk allows 100 (development) or 1000 (production) Backend API requests per 10 s for the whole
	// instance: the job takes a small share of that at a time. At least 3: a page read, and one record's
	// fresh read and write (src/rotation/key-rotation.ts); with fewer, a run could never re-seal anything.
	CRM_ROTATION_CLERK_CALLS_PER_RUN: wholeNumber(
		"CRM_ROTATION_CLERK_CALLS_PER_RUN",
		25,
		3,
		500,
		"Clerk calls",
	),
});

const cache = new WeakMap<object, Config>();

/**
 * Parses the bindings into a `Config`, once per `env` object (Workers reuse it across the requests
 * of an isolate). Throws a `configuration` InternalFailure naming each bad variable; never falls back to a weaker mode.
 *
 * @example
 * const config = loadConfig(c.env); // throws InternalFailure: "CLERK_JWT_KEY is not set"
 */
export function loadConfig(env: object): Config {
	const cached = cache.get(env);
	if (cached) return cached;

	const result = z.safeParse(envSchema, env);
	if (!result.success) {
		throw new InternalFailure("configuration", result.error.issues.map((issue) => issue.message).join("; "));
	}
	const vars = result.data;
	const config: Config = {
		clerkSecretKey: vars.CLERK_SECRET_KEY,
		clerkJwtKey: normalizeJwtKey(vars.CLERK_JWT_KEY),
		clerkApiUrl: vars.CLERK_API_URL,
		authorizedParties: vars.CLERK_AUTHORIZED_PARTIES.map(toOrigin),
		writeRoles: parseWriteRoles(vars.CRM_WRITE_ROLES),
		closeApiUrl: vars.CLOSE_API_URL,
		bullhornLoginInfoUrl: vars.BULLHORN_LOGIN_INFO_URL,
		bullhornClient: parseBullhornClient(vars.BULLHORN_CLIENT_ID, vars.BULLHORN_CLIENT_SECRET),
		encryptionKeys: parseKeyRing(vars.CRM_ENCRYPTION_KEYS),
		cacheTtlMs: vars.CRM_CACHE_TTL_SECONDS,
		staleIfErrorMs: vars.CRM_CACHE_STALE_IF_ERROR_SECONDS,
		rotationClerkCallsPerRun: vars.CRM_ROTATION_CLERK_CALLS_PER_RUN,
		rotationSealsPlaintext: vars.CRM_ROTATION_SEAL_PLAINTEXT,
	};
	cache.set(env, config);
	return config;
}

/**
 * The platform's Bullhorn API key: both parts, or neither (blank counts as unset, so that a deployment
 * without one can set the listed secrets to nothing).
 */
function parseBullhornClient(id = "", secret = ""): Config["bullhornClient"] {
	const [clientId, clientSecret] = [id.trim(), secret.trim()];
	if (clientId === "" && clientSecret === "") return null;
	if (clientId === "" || clientSecret === "") {
		throw new InternalFailure(
			"configuration",
			"BULLHORN_CLIENT_ID and BULLHORN_CLIENT_SECRET go together: set both (the platform's Bullhorn API key) or neither",
		);
	}
	return { id: clientId, secret: clientSecret };
}

function toOrigin(party: string): string {
	const url = URL.canParse(party) ? new URL(party) : undefined;
	// `new URL("localhost:3000").origin` is "null", which sandboxed frames send as their Origin.
	if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
		throw new InternalFailure(
			"configuration",
			`CLERK_AUTHORIZED_PARTIES: "${party}" is not an http(s) origin such as https://app.example.com`,
		);
	}
	return url.origin;
}

function parseWriteRoles(roles: string[]): string[] | "*" {
	if (roles.length === 0) return ["org:admin"];
	if (roles.includes("*")) return "*";
	// Clerk role keys always carry the `org:` prefix; accept "admin" as shorthand for "org:admin".
	return roles.map((role) => (role.startsWith("org:") ? role : `org:${role}`));
}
