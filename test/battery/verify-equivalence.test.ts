/**
 * The service verifies session tokens with `verifySessionToken` (a key imported once per isolate)
 * instead of calling @clerk/backend's `verifyToken`, which imports the key on every call. This battery
 * holds the two to the same verdicts: for every token, both accept it with the same claims, or both
 * refuse it with the same Clerk reason. Clerk's `verifyToken` runs here only; it is not in the bundle.
 */
import { verifyToken } from "@clerk/backend";
import fc from "fast-check";
import { describe, expect, inject, it } from "vitest";
import { base64url, generateSigningKeyPair, importSigningKey, signToken } from "../../emulator/tokens.ts";
import { verifySessionToken } from "../../src/auth/session-token.ts";
import { verificationKey } from "../../src/auth/verification-key.ts";
import { TEST_FRONTEND_ORIGIN } from "../constants.ts";
import { hs256Token, testClaims, testSigningKey } from "../support/tokens.ts";
import { VERIFY_EQUIVALENCE } from "./seeds.ts";

type Verdict = { ok: true; claims: unknown } | { ok: false; reason: string };

async function verdict(run: () => Promise<unknown>): Promise<Verdict> {
	try {
		return { ok: true, claims: await run() };
	} catch (error) {
		return { ok: false, reason: String((error as { reason?: unknown }).reason ?? (error as Error).name) };
	}
}

async function bothVerdicts(token: string, authorizedParties: string[]) {
	const pem = inject("jwtPublicKey");
	const clerk = await verdict(() => verifyToken(token, { jwtKey: pem, authorizedParties }));
	const ours = await verdict(async () =>
		verifySessionToken(token, { key: await verificationKey(pem.trim()), authorizedParties }),
	);
	return { clerk, ours };
}

// Times well clear of the 5 s skew boundaries, so the few milliseconds between the two calls never matter.
const offsets = [-86_400, -600, -60, -30, 30, 60, 600, 86_400];
const now = () => Math.floor(Date.now() / 1000);

/** Mostly the valid value (`KEEP`), so accepted and refused tokens both come up often. */
const KEEP = Symbol("keep");
const mostlyKept = <T>(...others: fc.Arbitrary<T>[]) =>
	fc.oneof(
		{ arbitrary: fc.constant<typeof KEEP>(KEEP), weight: 12 },
		...others.map((arbitrary) => ({ arbitrary, weight: 1 })),
	);
const time = () =>
	mostlyKept<unknown>(
		fc.constant(undefined),
		fc.constantFrom(...offsets).map((offset) => now() + offset),
		fc.constantFrom(...offsets).map((offset) => now() + offset + 0.5),
		fc.constantFrom("soon", null, 1.5e12, 1e20, -1),
	);

const mutation = fc.record({
	exp: time(),
	nbf: time(),
	iat: time(),
	sub: mostlyKept<unknown>(fc.constantFrom(undefined, "", 42)),
	azp: mostlyKept<unknown>(fc.constantFrom(undefined, "https://evil.example")),
	typ: mostlyKept<unknown>(fc.constantFrom(undefined, "at+jwt")),
	cat: mostlyKept<unknown>(fc.constantFrom("cl_B7d4PD333AAA", "other")),
	signature: mostlyKept(fc.constantFrom("flipped", "other-key", "none", "hs256")),
	checkAzp: fc.boolean(),
});

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

async function tokenFor(m: Mutation): Promise<string> {
	const claims = testClaims({ orgId: "org_eq" });
	for (const name of ["exp", "nbf", "iat", "sub", "azp"] as const) {
		if (m[name] === KEEP) continue;
		if (m[name] === undefined) delete claims[name];
		else claims[name] = m[name];
	}
	const header: Record<string, unknown> = { alg: "RS256", kid: "ins_emulator", typ: "JWT" };
	if (m.typ !== KEEP) header.typ = m.typ;
	if (m.cat !== KEEP) header.cat = m.cat;

	switch (m.signature) {
		case KEEP:
			return signToken(await testSigningKey(), claims, header);
		case "flipped": {
			const [h, p, s] = (await signToken(await testSigningKey(), claims, header)).split(".");
			return `${h}.${p}.${(s as string).startsWith("A") ? "B" : "A"}${(s as string).slice(1)}`;
		}
		case "other-key":
			return signToken(await otherKey(), claims, header);
		case "none":
			return `${base64url(JSON.stringify({ ...header, alg: "none" }))}.${base64url(JSON.stringify(claims))}.`;
		case "hs256":
			return hs256Token(claims, inject("jwtPublicKey"), header);
	}
}

let other: Promise<CryptoKey> | undefined;
function otherKey(): Promise<CryptoKey> {
	other ??= generateSigningKeyPair().then((pair) => importSigningKey(pair.privateKeyPem));
	return other;
}

describe("verifySessionToken judges every token as Clerk's verifyToken does", () => {
	it("same verdict and reason, same claims, over random claim, header and signature changes", async () => {
		let accepted = 0;
		await fc.assert(
			fc.asyncProperty(mutation, async (m) => {
				const token = await tokenFor(m);
				const { clerk, ours } = await bothVerdicts(token, m.checkAzp ? [TEST_FRONTEND_ORIGIN] : []);
				expect(ours).toEqual(clerk);
				if (ours.ok) accepted++;
			}),
			VERIFY_EQUIVALENCE,
		);
		// The property means little unless both outcomes occur often.
		expect(accepted).toBeGreaterThan(VERIFY_EQUIVALENCE.numRuns / 20);
		expect(accepted).toBeLessThan(VERIFY_EQUIVALENCE.numRuns);
	});

	it("agrees on tokens that are not JWTs at all", async () => {
		for (const token of ["", "abc", "a.b", "a.b.c", "....", `${base64url("{}")}.${base64url("{}")}.`]) {
			const { clerk, ours } = await bothVerdicts(token, []);
			expect(ours).toEqual(clerk);
		}
	});
});
