/**
 * Development and test session tokens: an RSA key pair like a Clerk instance's, and RS256 tokens with
 * the claims Clerk puts in session tokens (v2 by default, v1 on request). Runs on Web Crypto, so the
 * same code mints tokens in Node (`npm run token`, `npm run dev`) and inside workerd (the tests).
 * Never part of the deployed Worker.
 */

const RS256 = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

export interface SigningKeyPair {
	/** PKCS#8 PEM: signs tokens. */
	privateKeyPem: string;
	/** SPKI PEM: what `CLERK_JWT_KEY` holds. */
	publicKeyPem: string;
}

/** A fresh 2048-bit RSA key pair (exponent 65537), the shape of a Clerk instance's JWT key. */
export async function generateSigningKeyPair(): Promise<SigningKeyPair> {
	const pair = (await crypto.subtle.generateKey(
		{ ...RS256, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
		true,
		["sign", "verify"],
	)) as CryptoKeyPair;
	const pkcs8 = (await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer;
	const spki = (await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer;
	return { privateKeyPem: toPem("PRIVATE KEY", pkcs8), publicKeyPem: toPem("PUBLIC KEY", spki) };
}

/** The private key, for RS256 by default; tests pass another hash to sign RS384 or RS512 tokens. */
export async function importSigningKey(
	privateKeyPem: string,
	hash: "SHA-256" | "SHA-384" | "SHA-512" = "SHA-256",
): Promise<CryptoKey> {
	return crypto.subtle.importKey("pkcs8", fromPem(privateKeyPem), { ...RS256, hash }, false, ["sign"]);
}

export interface SessionTokenOptions {
	orgId?: string | null;
	/** With the `org:` prefix, as Clerk names roles: `org:admin`, `org:member`. */
	role?: string;
	userId?: string;
	sessionId?: string;
	/** Clerk session token version: 2 (current, `o` claim) or 1 (`org_id`, `org_role`). */
	version?: 1 | 2;
	expiresInSeconds?: number;
	authorizedParty?: string;
	/** Claims to add or replace; a value of `undefined` removes the claim. */
	claims?: Record<string, unknown>;
}

/** The claims of a Clerk session token for an organization member, as of now. */
export function sessionClaims(options: SessionTokenOptions = {}): Record<string, unknown> {
	const now = Math.floor(Date.now() / 1000);
	const role = options.role ?? "org:admin";
	const orgId = options.orgId === undefined ? "org_test" : options.orgId;
	const base: Record<string, unknown> = {
		azp: options.authorizedParty ?? "http://localhost:3000",
		exp: now + (options.expiresInSeconds ?? 60),
		iat: now,
		nbf: now - 5,
		iss: "https://clerk.emulator.local",
		jti: crypto.randomUUID().replaceAll("-", "").slice(0, 20),
		sid: options.sessionId ?? "sess_test",
		sub: options.userId ?? "user_test",
	};
	if (options.version === 1) {
		Object.assign(base, orgId === null ? {} : { org_id: orgId, org_role: role, org_permissions: [] });
	} else {
		Object.assign(base, { v: 2, sts: "active", fva: [0, -1] });
		// No `slg`: organization slugs are off by default for new Clerk applications.
		if (orgId !== null) base.o = { id: orgId, rol: role.replace(/^org:/, ""), per: "", fpm: "" };
	}
	for (const [name, value] of Object.entries(options.claims ?? {})) {
		if (value === undefined) delete base[name];
		else base[name] = value;
	}
	return base;
}

/** Signs `claims` as an RS256 JWT with the header Clerk uses. */
export async function signToken(
	key: CryptoKey,
	claims: Record<string, unknown>,
	header: Record<string, unknown> = { alg: "RS256", kid: "ins_emulator", typ: "JWT" },
): Promise<string> {
	const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
	const signature = await crypto.subtle.sign(RS256, key, new TextEncoder().encode(signingInput));
	return `${signingInput}.${base64url(signature)}`;
}

/** Mints a session token for `options` in one step. */
export async function mintSessionToken(key: CryptoKey, options: SessionTokenOptions = {}): Promise<string> {
	return signToken(key, sessionClaims(options));
}

export function base64url(data: string | ArrayBuffer | Uint8Array): string {
	const bytes =
		typeof data === "string"
			? new TextEncoder().encode(data)
			: data instanceof Uint8Array
				? data
				: new Uint8Array(data);
	let binary = "";
	for (const byte of bytes) binary += String.fromCharCode(byte);
	return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function toPem(label: string, der: ArrayBuffer): string {
	const body = btoa(String.fromCharCode(...new Uint8Array(der)));
	return `-----BEGIN ${label}-----\n${body.match(/.{1,64}/g)?.join("\n")}\n-----END ${label}-----\n`;
}

function fromPem(pem: string): ArrayBuffer {
	const body = pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
	const binary = atob(body);
	const bytes = new Uint8Array(binary.length);
	for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
	return bytes.buffer;
}
