/**
 * Lifecycle events end to end: the service and the example consumer (examples/events-consumer/) in one
 * real `wrangler dev`, sharing its local `crm-events` queue. A change made through the API reaches the
 * consumer's handler exactly once, as the same event the audit history shows.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/server.ts";
import { generateSigningKeyPair, importSigningKey, mintSessionToken } from "../../emulator/tokens.ts";
import { startWranglerDev, type WranglerDev } from "../../scripts/wrangler-dev.ts";
import { SETTINGS_PATH } from "../../src/crm/routes.ts";

const SECRET_KEY = "sk_test_events_0123456789abcdefghijklmnopqrstuvwxyz";
const CLOSE_KEYS = [
	"api_events0000000000000000.eventsecret000000000000000",
	"api_events1111111111111111.eventsecret111111111111111",
];
const ORG = `org_eventsEndToEnd${Date.now()}`;

let emulator: RunningEmulator;
let dev: WranglerDev;
let token: string;

beforeAll(async () => {
	emulator = await startEmulator({ secretKey: SECRET_KEY, autoCreateOrganizations: true });
	for (const apiKey of CLOSE_KEYS) {
		await fetch(`${emulator.url}/__emulator/close-keys`, {
			method: "POST",
			body: JSON.stringify({ apiKey }),
		});
	}
	const keys = await generateSigningKeyPair();
	token = await mintSessionToken(await importSigningKey(keys.privateKeyPem), {
		orgId: ORG,
		role: "org:admin",
		userId: "user_events",
		expiresInSeconds: 600,
	});
	dev = await startWranglerDev({
		vars: {
			CLERK_SECRET_KEY: SECRET_KEY,
			CLERK_JWT_KEY: keys.publicKeyPem,
			CLERK_API_URL: emulator.url,
			CLOSE_API_URL: emulator.url,
		},
		alsoRun: ["examples/events-consumer/wrangler.toml"],
		logs: true,
	});
});
afterAll(async () => {
	await dev?.stop();
	await emulator?.close();
});

async function send(
	method: string,
	path: string,
	body?: unknown,
): Promise<{ status: number; body: unknown }> {
	const response = await fetch(`${dev.url}${path}`, {
		method,
		headers: {
			Authorization: `Bearer ${token}`,
			...(body === undefined ? {} : { "Content-Type": "application/json" }),
		},
		...(body === undefined ? {} : { body: JSON.stringify(body) }),
	});
	return { status: response.status, body: await response.json() };
}

/**
 * The consumer's log lines about this test's organization (handled, duplicate, failed). wrangler's dev
 * registry joins the local queues of every `wrangler dev` on the machine, so the consumer also receives the
 * events of the other smoke tests' servers: those are other organizations.
 */
const consumerLines = () =>
	dev.logLines().filter((fields) => String(fields.msg).startsWith("crm event") && fields.orgId === ORG);

/** Waits (up to 10 s) until the consumer has logged the event with this id. */
async function consumed(id: string): Promise<void> {
	const deadline = Date.now() + 10_000;
	while (!consumerLines().some((fields) => fields.id === id)) {
		if (Date.now() > deadline)
			throw new Error(`the consumer never received ${id}\n${dev.output().slice(-4000)}`);
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}

const saved = {
	status: 200,
	body: { success: true, provider: "close", connectedAt: expect.any(String), verified: true },
};

it("delivers each change made through the API to the example consumer once, as the history shows it", async () => {
	expect(
		await send("POST", SETTINGS_PATH, { provider: "close", apiKey: CLOSE_KEYS[0], verify: true }),
	).toEqual(saved);
	await consumed(`${ORG}-1`);
	expect(
		await send("POST", SETTINGS_PATH, { provider: "close", apiKey: CLOSE_KEYS[1], verify: true }),
	).toEqual(saved);
	expect(await send("DELETE", SETTINGS_PATH)).toEqual({
		status: 200,
		body: { success: true, disconnected: true },
	});
	await consumed(`${ORG}-3`);

	// Newest first in the history; the consumer got them oldest first, each exactly once (a redelivery
	// would log "crm event duplicate", a failure "crm event failed").
	const history = await send("GET", `${SETTINGS_PATH}/history`);
	expect(history.status).toBe(200);
	const events = (history.body as { events: Record<string, unknown>[] }).events;
	expect(events.map(({ id, type }) => ({ id, type }))).toEqual([
		{ id: `${ORG}-3`, type: "disconnected" },
		{ id: `${ORG}-2`, type: "replaced" },
		{ id: `${ORG}-1`, type: "connected" },
	]);
	expect(consumerLines()).toEqual(
		events.toReversed().map(({ id, seq, type, orgId, provider }) => ({
			msg: "crm event",
			id,
			seq,
			type,
			orgId,
			provider,
		})),
	);
});
