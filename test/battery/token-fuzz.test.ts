/**
 * Property: a valid session token, mutated at random, authenticates only when the mutation is harmless,
 * and a refused token never makes the Worker call Clerk. Two kinds of mutation:
 *
 * - an attacker's, without the instance's private key: any change of the header or payload text breaks
 *   the signature, and so does any change of the signature's bytes. Harmless: none, except a signature
 *   character that only changes base64url's unused trailing bits (same bytes: either answer is right;
 *   Clerk's strict decoder refuses it).
 * - a key holder's, re-signed: the claims themselves decide (docs/contract.md §4). Harmless: `jti`, `iss`, `aud`,
 *   `kid`, `jku`, a different `sub`/`sid`, times that are still valid, `sts` absent or `active`, unknown claims
 *   (`orgId`, `org` …: the organization comes from `o.id`, or `org_id` in v1 tokens, and nothing else).
 *   Refused: another algorithm than RS256 (RS384/RS512 included: Clerk issues RS256 only), `typ` other
 *   than `JWT`, a machine-token category, an expired or not-yet-valid token, a foreign or missing `azp`,
 *   no `sid`, `sts` other than `active`, no organization, or claims Clerk's parser cannot read.
 *
 * Every case reads settings with GET; the token names either this case's organization or the victim's.
 */
import fc from "fast-check";
import { describe, expect, inject, it } from "vitest";
import { base64url, generateSigningKeyPair, importSigningKey, signToken } from "../../emulator/tokens.ts";
import { TEST_FRONTEND_ORIGIN } from "../constants.ts";
import { errorBody, SETTINGS_URL } from "../support/api.ts";
import { callsOfEach, newOrganization, organizationSupply } from "../support/emulator.ts";
import { watchForLeaks } from "../support/leaks.ts";
import { hs256Signature, testClaims, testSigningKey } from "../support/tokens.ts";
import { TOKEN_FUZZ } from "./seeds.ts";

const M2M_CATEGORY = "cl_B7d4PD333AAA";
const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const ALGORITHMS = { RS256: "SHA-256", RS384: "SHA-384", RS512: "SHA-512" } as const;
type Algorithm = keyof typeof ALGORITHMS;

/** Placeholders in generated values, replaced by the organizations of the case. */
const MINE = "$MINE";
const VICTIM = "$VICTIM";

type Json = Record<string, unknown>;
type Edit =
	| { name: string; value: unknown }
	| { name: string; remove: true }
	| { name: string; secondsFromNow: number };
type Mutation =
	| { kind: "resign"; claims: Edit[]; header: Edit[]; algorithm: Algorithm }
	| { kind: "replace-char"; segment: 0 | 1 | 2; at: number; char: string }
	| { kind: "insert-char"; at: number; char: string }
	| { kind: "delete-char"; at: number }
	| { kind: "truncate"; at: number }
	| { kind: "trailing-bits"; bits: number }
	| {
			kind: "reshape";
			shape: "no-signature" | "two-segments" | "four-segments" | "swap" | "signature-of-another";
	  }
	| { kind: "forge-payload"; claims: Edit[] }
	| { kind: "forge-header"; header: Json; signature: "kept" | "empty" | "hs256-with-public-key" }
	| { kind: "attacker-key"; header: Edit[] };

/** What the Worker must do with the mutated token: authenticate to an organization, refuse, or either. */
type Verdict = { accept: string } | { reject: true } | { either: string };

// ---- generators -------------------------------------------------------------------------------------

/** Seconds from now: mostly close to the edge (10 s past Clerk's 5 s skew, so a wider skew shows). */
const ahead = fc.oneof(
	{ weight: 3, arbitrary: fc.integer({ min: 10, max: 900 }) },
	fc.integer({ min: 900, max: 1_000_000 }),
);
const future = ahead;
const past = ahead.map((seconds) => -seconds);
const set = (name: string, ...values: unknown[]) =>
	fc.constantFrom(...values).map((value) => ({ name, value }));
const remove = (name: string) => fc.constant({ name, remove: true as const });
const at = (name: string, offsets: fc.Arbitrary<number>) =>
	offsets.map((secondsFromNow) => ({ name, secondsFromNow }));

/** Edits a key holder may make without changing what the session may do (or only its organization). */
const harmlessEdit: fc.Arbitrary<Edit> = fc.oneof(
	at("exp", future),
	at("nbf", past),
	at("iat", past),
	fc.oneof(remove("nbf"), remove("iat"), remove("jti"), remove("iss"), remove("fea")),
	set("sid", "sess_other"),
	fc.oneof(set("sts", "active", null), remove("sts")),
	set("sub", "user_other", ""),
	set("o", { id: VICTIM, rol: "member" }, { id: MINE, rol: "admin", per: "read,manage", fpm: "3" }),
	set("org_id", VICTIM),
	set("fea", "o:crm,u:export", ""),
	fc.oneof(set("jti", "jti_other", 0), set("iss", "https://elsewhere.example", 1)),
	set("aud", "someone", ["a", "b"]),
	set("orgId", VICTIM),
	set("org", VICTIM),
	set("organization_id", VICTIM),
);

/**
 * One edit of a claim docs/contract.md §4 names, harmless or not (each case has one such focus, so every claim's
 * refusals are met often), plus up to two harmless edits around it; or harmless edits alone.
 */
const focusEdit: fc.Arbitrary<Edit> = fc.oneof(
	fc.oneof(at("exp", future), at("exp", past), remove("exp"), set("exp", "9999999999", null, true)),
	fc.oneof(at("nbf", past), at("nbf", future), remove("nbf"), set("nbf", "0", null)),
	fc.oneof(at("iat", past), at("iat", future), remove("iat"), set("iat", "0", false)),
	fc.oneof(
		set(
			"azp",
			TEST_FRONTEND_ORIGIN,
			"https://evil.example",
			"http://app.example.com",
			`${TEST_FRONTEND_ORIGIN}/`,
			"",
			1,
		),
		remove("azp"),
	),
	fc.oneof(set("sid", "sess_other", "", 42, null), remove("sid")),
	fc.oneof(set("sts", "active", "pending", "expired", "", null, 1), remove("sts")),
	fc.oneof(set("sub", "user_other", 7, null), remove("sub")),
	fc.oneof(set("v", 1, 2, "2", 3, null), remove("v")),
	fc.oneof(
		set(
			"o",
			{ id: MINE, rol: "admin" },
			{ id: VICTIM, rol: "member", slg: "victim" },
			{ id: VICTIM },
			{ id: "" },
			{ id: 5 },
			{ rol: "admin" },
			{},
			"org",
			null,
			[],
			{ id: MINE, per: "read,manage", fpm: "3" },
			{ id: MINE, per: 1, fpm: 1 },
			{ id: MINE, per: "read", fpm: ["1"] },
		),
		remove("o"),
	),
	fc.oneof(set("org_id", MINE, VICTIM, "", 3, null), remove("org_id")),
	fc.oneof(set("fea", "o:crm,u:export", "bogus", 1, ["o:crm"], ""), remove("fea")),
);
const harmlessEdits = (minLength: number) =>
	fc.uniqueArray(harmlessEdit, { minLength, maxLength: 2, selector: (edit) => edit.name });
const claimEdits = fc.oneof(harmlessEdits(1), {
	weight: 2,
	arbitrary: fc
		.tuple(focusEdit, harmlessEdits(0))
		.map(([focus, around]) => [focus, ...around.filter((edit) => edit.name !== focus.name)]),
});

const headerEdit: fc.Arbitrary<Edit> = fc.oneof(
	fc.oneof(set("typ", "JWT", "jwt", "at+jwt", 1), remove("typ")),
	fc.oneof(set("kid", "ins_other", ""), remove("kid")),
	set("cat", M2M_CATEGORY, "cl_other"),
	set("jku", "https://evil.example/jwks.json"),
	set("alg", "none", "HS256", "ES256", "PS256", "RS384", "RS512", "RS256"),
);
const headerEdits = fc.uniqueArray(headerEdit, { maxLength: 2, selector: (edit) => edit.name });
const base64urlChar = fc.constantFrom(...BASE64URL);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
	{
		weight: 14,
		arbitrary: fc.record({
			kind: fc.constant("resign" as const),
			claims: claimEdits,
			header: fc.oneof({ weight: 3, arbitrary: fc.constant<Edit[]>([]) }, headerEdits),
			algorithm: fc.oneof(
				{ weight: 6, arbitrary: fc.constant("RS256" as const) },
				fc.constantFrom("RS384" as const, "RS512" as const),
			),
		}),
	},
	{
		weight: 3,
		arbitrary: fc.record({
			kind: fc.constant("replace-char" as const),
			segment: fc.constantFrom(0 as const, 1 as const, 2 as const),
			at: fc.nat(),
			char: base64urlChar,
		}),
	},
	fc.record({
		kind: fc.constant("insert-char" as const),
		at: fc.nat(),
		char: fc.constantFrom("A", "_", ".", "=", " ", "%"),
	}),
	fc.record({ kind: fc.constant("delete-char" as const), at: fc.nat() }),
	fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
	fc.record({ kind: fc.constant("trailing-bits" as const), bits: fc.integer({ min: 1, max: 15 }) }),
	fc.record({
		kind: fc.constant("reshape" as const),
		shape: fc.constantFrom(
			"no-signature" as const,
			"two-segments" as const,
			"four-segments" as const,
			"swap" as const,
			"signature-of-another" as const,
		),
	}),
	{ weight: 2, arbitrary: fc.record({ kind: fc.constant("forge-payload" as const), claims: claimEdits }) },
	fc.record({
		kind: fc.constant("forge-header" as const),
		header: fc.constantFrom<Json>(
			{ alg: "none", typ: "JWT" },
			{ alg: "HS256", typ: "JWT" },
			{ alg: "RS256" },
		),
		signature: fc.constantFrom("kept" as const, "empty" as const, "hs256-with-public-key" as const),
	}),
	fc.record({ kind: fc.constant("attacker-key" as const), header: headerEdits }),
);

// ---- applying a mutation, and what docs/contract.md §4 says about the result -------------------------------------

interface Case {
	mine: string;
	victim: string;
	claims: Json;
	header: Json;
	token: string;
	keys: Record<Algorithm, CryptoKey>;
	attackerKey: CryptoKey;
	publicKeyPem: string;
}

function resolve(value: unknown, { mine, victim }: Pick<Case, "mine" | "victim">): unknown {
	return JSON.parse(
		JSON.stringify(value).replaceAll(`"${MINE}"`, `"${mine}"`).replaceAll(`"${VICTIM}"`, `"${victim}"`),
	);
}

function edited(original: Json, edits: Edit[], c: Case): Json {
	const result = { ...original };
	for (const edit of edits) {
		if ("remove" in edit) delete result[edit.name];
		else if ("secondsFromNow" in edit)
			result[edit.name] = Math.floor(Date.now() / 1000) + edit.secondsFromNow;
		else result[edit.name] = resolve(edit.value, c);
	}
	return result;
}

const segments = (token: string) => token.split(".") as [string, string, string];
const encode = (json: Json) => base64url(JSON.stringify(json));

async function apply(m: Mutation, c: Case): Promise<{ token: string; verdict: Verdict }> {
	const [header, payload, signature] = segments(c.token);
	const accepted: Verdict = { accept: c.mine };
	const unchangedOr = (token: string): { token: string; verdict: Verdict } => ({
		token,
		verdict: token === c.token ? accepted : { reject: true },
	});
	switch (m.kind) {
		case "resign": {
			const h = edited(c.header, [{ name: "alg", value: m.algorithm }, ...m.header], c);
			const claims = edited(c.claims, m.claims, c);
			const token = await signToken(c.keys[m.algorithm], claims, h);
			const org = sessionOrganization(h, claims, m.algorithm);
			return { token, verdict: org === null ? { reject: true } : { accept: org } };
		}
		case "replace-char": {
			const parts = segments(c.token);
			const text = parts[m.segment];
			const i = m.at % text.length;
			parts[m.segment] = text.slice(0, i) + m.char + text.slice(i + 1);
			const token = parts.join(".");
			if (m.segment === 2 && token !== c.token && sameBytes(parts[2], signature)) {
				return { token, verdict: { either: c.mine } };
			}
			return unchangedOr(token);
		}
		case "insert-char": {
			const i = m.at % (c.token.length + 1);
			return unchangedOr(c.token.slice(0, i) + m.char + c.token.slice(i));
		}
		case "delete-char": {
			const i = m.at % c.token.length;
			return unchangedOr(c.token.slice(0, i) + c.token.slice(i + 1));
		}
		case "truncate":
			return unchangedOr(c.token.slice(0, m.at % c.token.length));
		case "trailing-bits": {
			// 256 signature bytes fill 342 base64url characters, the last of which has 4 unused bits.
			const last = BASE64URL.indexOf(signature.at(-1) ?? "A");
			const token = `${header}.${payload}.${signature.slice(0, -1)}${BASE64URL[last | m.bits]}`;
			return { token, verdict: token === c.token ? accepted : { either: c.mine } };
		}
		case "reshape": {
			const shapes = {
				"no-signature": `${header}.${payload}.`,
				"two-segments": `${header}.${payload}`,
				"four-segments": `${header}.${payload}.${signature}.${signature}`,
				swap: `${payload}.${header}.${signature}`,
				"signature-of-another": `${header}.${payload}.${segments(await signToken(c.keys.RS256, { ...c.claims, o: { id: c.victim, rol: "admin" } }, c.header))[2]}`,
			};
			return unchangedOr(shapes[m.shape]);
		}
		case "forge-payload":
			return unchangedOr(`${header}.${encode(edited(c.claims, m.claims, c))}.${signature}`);
		case "forge-header": {
			const forged = encode(m.header);
			const input = `${forged}.${payload}`;
			const sig =
				m.signature === "kept"
					? signature
					: m.signature === "empty"
						? ""
						: await hs256Signature(input, c.publicKeyPem);
			return unchangedOr(`${input}.${sig}`);
		}
		case "attacker-key":
			return {
				token: await signToken(c.attackerKey, c.claims, edited(c.header, m.header, c)),
				verdict: { reject: true },
			};
	}
}

/**
 * The organization a token signed by the instance key (with `signedWith`) authenticates, per docs/contract.md §4,
 * or null when it must be refused. Generated times stay at least 10 s away from now, past Clerk's 5 s skew.
 */
function sessionOrganization(header: Json, claims: Json, signedWith: Algorithm): string | null {
	const now = Date.now() / 1000;
	const isTime = (value: unknown) => typeof value === "number";
	const checks = [
		header.alg === "RS256" && signedWith === "RS256",
		header.typ === undefined || header.typ === "JWT",
		header.cat !== M2M_CATEGORY,
		typeof claims.sub === "string",
		claims.azp === TEST_FRONTEND_ORIGIN,
		isTime(claims.exp) && (claims.exp as number) > now,
		claims.nbf === undefined || (isTime(claims.nbf) && (claims.nbf as number) < now),
		claims.iat === undefined || (isTime(claims.iat) && (claims.iat as number) < now),
		typeof claims.sid === "string" && claims.sid !== "",
		claims.sts === undefined || claims.sts === null || claims.sts === "active",
		claims.v !== 2 || claimsReadable(claims),
	];
	if (checks.includes(false)) return null;
	const org = claims.v === 2 ? (isObject(claims.o) ? claims.o.id : undefined) : claims.org_id;
	return typeof org === "string" && org !== "" ? org : null;
}

/** Clerk's formats for v2 features and permissions: `fea` "scope:feature,…", `o.per`/`o.fpm` strings. */
function claimsReadable(claims: Json): boolean {
	if (!claims.o) return true;
	const fea = claims.fea;
	const features = !fea || (typeof fea === "string" && fea.split(",").every((part) => part.includes(":")));
	const o = claims.o as Json;
	const permissions = !o.per || !o.fpm || (typeof o.per === "string" && typeof o.fpm === "string");
	return features && permissions;
}

function isObject(value: unknown): value is Json {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether two base64url strings decode to the same bytes when unused trailing bits are ignored. */
function sameBytes(a: string, b: string): boolean {
	const decode = (text: string) => {
		try {
			return atob(text.replaceAll("-", "+").replaceAll("_", "/"));
		} catch {
			return undefined;
		}
	};
	const left = decode(a);
	return left !== undefined && left === decode(b);
}

// ---- the property -----------------------------------------------------------------------------------

const record = (provider: string, apiKey: string, connectedBy: string) => ({
	provider,
	apiKey,
	apiKeyLast4: apiKey.slice(-4),
	connectedAt: "2024-01-15T10:30:00.000Z",
	connectedBy,
});
const MINE_RECORD = record("bullhorn", "bh-mine-secret-000000mine", "user_mine");
const VICTIM_RECORD = record("close", "victim-secret-0000000vict", "user_victim");
const settingsOf = (stored: ReturnType<typeof record>) => ({
	connected: true,
	provider: stored.provider,
	connectedAt: stored.connectedAt,
	apiKeyMasked: `${"*".repeat(20)}${stored.apiKeyLast4}`,
	connectedBy: stored.connectedBy,
	status: "unverified",
});

describe("GET with a mutated session token", () => {
	it("authenticates only harmless mutations, to the organization the token names, and never calls Clerk otherwise", async () => {
		const watch = watchForLeaks();
		watch.apiKey(MINE_RECORD.apiKey);
		watch.apiKey(VICTIM_RECORD.apiKey);
		const victim = await newOrganization({ private_metadata: { crm: VICTIM_RECORD } });
		const privateKeyPem = inject("jwtPrivateKey");
		const keys = {
			RS256: await testSigningKey(),
			RS384: await importSigningKey(privateKeyPem, ALGORITHMS.RS384),
			RS512: await importSigningKey(privateKeyPem, ALGORITHMS.RS512),
		};
		const attackerKey = await importSigningKey((await generateSigningKeyPair()).privateKeyPem);
		const publicKeyPem = inject("jwtPublicKey");
		const tally = { accept: 0, reject: 0, either: 0 };
		let victimCalls = 0;
		// An organization no case has read yet. A case whose token reads nothing leaves its organization
		// unread (no Clerk call, no cache), so the next case can name it: fewer round trips to the emulator.
		let unread: string | undefined;
		const nextOrganization = organizationSupply({ private_metadata: { crm: MINE_RECORD } });

		await fc.assert(
			fc.asyncProperty(fc.constantFrom<1 | 2>(2, 2, 1), mutation, async (version, m) => {
				const mine = unread ?? (await nextOrganization());
				const claims = testClaims({ orgId: mine, version, userId: "user_fuzz", sessionId: "sess_fuzz" });
				const header = { alg: "RS256", kid: "ins_emulator", typ: "JWT" };
				const token = await signToken(keys.RS256, claims, header);
				watch.secret(segments(token)[2]);
				const c: Case = { mine, victim, claims, header, token, keys, attackerKey, publicKeyPem };
				const { token: mutated, verdict } = await apply(m, c);

				const response = await watch.send(
					new Request(SETTINGS_URL, { headers: { Authorization: `Bearer ${mutated}` } }),
				);
				const [mineCalls = [], victimCallsNow = []] = await callsOfEach([mine, victim]);
				const newVictimCalls = victimCallsNow.length - victimCalls;
				victimCalls = victimCallsNow.length;
				unread = mineCalls.length === 0 ? mine : undefined;

				const org = "reject" in verdict ? null : "accept" in verdict ? verdict.accept : verdict.either;
				const authenticated = org !== null && ("accept" in verdict || response.status === 200);
				tally["reject" in verdict ? "reject" : "accept" in verdict ? "accept" : "either"]++;
				if (authenticated) {
					expect(response.status).toBe(200);
					expect(response.body).toEqual(settingsOf(org === victim ? VICTIM_RECORD : MINE_RECORD));
					expect(mineCalls.map((call) => call.method)).toEqual(org === mine ? ["GET"] : []);
					// The victim is read by many cases: after its first read, the settings cache answers.
					expect(newVictimCalls).toBeLessThanOrEqual(org === victim ? 1 : 0);
				} else {
					expect(response.status).toBe(400);
					expect(response.body).toEqual(errorBody(response, "VALIDATION_ERROR", "Organization ID required"));
					expect(mineCalls).toEqual([]);
					expect(newVictimCalls).toBe(0);
				}
				watch.expectNoLeaks();
			}),
			TOKEN_FUZZ,
		);
		// Both sides of the property must be exercised often for it to mean something.
		expect(tally.accept).toBeGreaterThan(TOKEN_FUZZ.numRuns / 5);
		expect(tally.reject).toBeGreaterThan(TOKEN_FUZZ.numRuns / 3);
	});
});
