/**
 * Concurrency and tenancy: dozens of organizations, each with two admins (a v2 and a v1 token) and two
 * members, all of them at once — hundreds of interleaved reads, writes, forbidden writes, disconnects and
 * writes that Clerk fails. Three kinds of organization:
 *
 * - quiet: one lane of requests, one after the other, some of whose writes Clerk fails (500 × 3: 503);
 * - busy: the same lane, plus members reading side by side with it, and one Clerk hiccup (retried);
 * - racing: admins writing all at once.
 *
 * At the end each organization's record is its last acknowledged write (for racing admins: one of the
 * acknowledged writes, whole — the one Clerk received last), no response ever showed another
 * organization's data, Clerk heard every write attempt the requests needed and no other, and at most
 * one read per GET (the settings cache answers the others), and no other metadata changed. At most 8 writes per organization, under issue 3's per-organization limit (10 a minute).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Fault } from "../../emulator/faults.ts";
import { EXPECTED_MESSAGES, NOT_CONNECTED } from "../constants.ts";
import { errorBody } from "../support/api.ts";
import { clerkCalls, newOrganization, organization, queueClerkFaults } from "../support/emulator.ts";
import { type LeakWatch, watchForLeaks } from "../support/leaks.ts";
import { tokenFor } from "../support/tokens.ts";
import { CONCURRENCY } from "./seeds.ts";

const MAX_WRITES_PER_ORG = 8;

type Provider = "close" | "bullhorn";
type WriteMethod = "POST" | "DELETE";
type Op =
	| { kind: "connect"; admin: number; provider: Provider }
	| { kind: "disconnect"; admin: number }
	| { kind: "forbidden"; member: number; method: WriteMethod }
	| { kind: "failing"; admin: number; method: WriteMethod }
	| { kind: "read"; member: number };
interface Plan {
	kind: "quiet" | "busy" | "racing";
	/** Requests made one after the other (all at once for racing admins). */
	lane: Op[];
	/** Members reading side by side with the lane: one array of member indexes per reader. */
	readers: number[][];
	/** One fault Clerk plays first, for whichever request comes first. */
	hiccup: Fault | null;
}

// ---- generators -------------------------------------------------------------------------------------

const two = fc.nat(1);
const method = fc.constantFrom<WriteMethod>("POST", "DELETE");
const connect = fc.record({
	kind: fc.constant("connect" as const),
	admin: two,
	provider: fc.constantFrom<Provider>("close", "bullhorn"),
});
const disconnect = fc.record({ kind: fc.constant("disconnect" as const), admin: two });
const forbidden = fc.record({ kind: fc.constant("forbidden" as const), member: two, method });
const failing = fc.record({ kind: fc.constant("failing" as const), admin: two, method });
const read = fc.record({ kind: fc.constant("read" as const), member: two });

function capWrites(ops: Op[]): Op[] {
	let writes = 0;
	return ops.filter((op) => op.kind === "read" || ++writes <= MAX_WRITES_PER_ORG);
}

const lane = (...ops: fc.Arbitrary<Op>[]) =>
	fc
		.array(fc.oneof({ weight: 4, arbitrary: connect }, { weight: 3, arbitrary: read }, disconnect, ...ops), {
			minLength: 6,
			maxLength: 14,
		})
		.map(capWrites);

const quiet: fc.Arbitrary<Plan> = lane(forbidden, failing).map((ops) => ({
	kind: "quiet",
	lane: ops,
	readers: [],
	hiccup: null,
}));
const busy: fc.Arbitrary<Plan> = fc.record({
	kind: fc.constant("busy" as const),
	lane: lane(forbidden),
	readers: fc.array(fc.array(two, { minLength: 3, maxLength: 8 }), { minLength: 2, maxLength: 3 }),
	hiccup: fc.constantFrom<Fault>({ status: 503 }, { status: 429 }, { status: 502 }),
});
const racing: fc.Arbitrary<Plan> = fc
	.array(fc.oneof({ weight: 3, arbitrary: connect }, disconnect), { minLength: 2, maxLength: 6 })
	.map((ops) => ({ kind: "racing", lane: ops, readers: [], hiccup: null }));

const organizations = fc
	.tuple(
		fc.array(quiet, { minLength: 12, maxLength: 12 }),
		fc.array(busy, { minLength: 12, maxLength: 12 }),
		fc.array(racing, { minLength: 6, maxLength: 6 }),
	)
	.map((kinds) => kinds.flat());

// ---- one organization's run -------------------------------------------------------------------------

interface Saved {
	provider: Provider;
	apiKey: string;
	connectedAt: string;
	connectedBy: string;
}
/** What an organization has connected: a saved record, or nothing. */
type State = Saved | null;

const CLOSE_KEY_ID = /^(api_[A-Za-z0-9]+)\./;
const FORBIDDEN = "Your role in this organization cannot change CRM settings";
const CLERK_UNAVAILABLE = EXPECTED_MESSAGES.clerkUnavailable;

/** What GET shows for a state: the masked key, the Close key id, who connected it. */
function settingsOf(state: State) {
	if (state === null) return NOT_CONNECTED;
	const keyId = state.provider === "close" ? CLOSE_KEY_ID.exec(state.apiKey)?.[1] : undefined;
	return {
		connected: true,
		provider: state.provider,
		connectedAt: state.connectedAt,
		apiKeyMasked: `${"*".repeat(20)}${state.apiKey.slice(-4)}`,
		...(keyId ? { apiKeyId: keyId } : {}),
		connectedBy: state.connectedBy,
		status: "unverified",
	};
}

type StoredCrm = { apiKeyLast4?: string | null; connectedBy?: string } | null;
const crmOf = (body: unknown) => (body as { private_metadata: { crm: StoredCrm } }).private_metadata.crm;

class Organization {
	readonly otherMetadata: Record<string, unknown>;
	readonly publicMetadata: Record<string, unknown>;
	readonly adminIds: string[];
	orgId = "";
	admins: string[] = [];
	members: string[] = [];
	state: State = null;
	/** The states Clerk acknowledged, in order, starting from "not connected"; a disconnect is null. */
	readonly acknowledged: State[] = [null];
	/** Last 4 characters of every key this organization sent, acknowledged or not. */
	readonly ownLast4 = new Set<string>();
	/** GET bodies seen by the readers beside the lane. */
	readonly seenByReaders: unknown[] = [];
	/** Write attempts the requests must make to Clerk. */
	expectedWrites = 0;
	/** GET requests made: each reads from Clerk at most once. */
	reads = 0;
	/** Extra calls a hiccup causes: one retried attempt, of whichever request meets it. */
	hiccups = 0;
	requests = 0;
	private keys = 0;

	readonly index: number;
	readonly plan: Plan;
	readonly watch: LeakWatch;

	constructor(index: number, plan: Plan, watch: LeakWatch) {
		this.index = index;
		this.plan = plan;
		this.watch = watch;
		this.otherMetadata = { billing: { plan: `plan-${index}` }, notes: [index, "untouched"] };
		this.publicMetadata = { displayName: `Org ${index}` };
		this.adminIds = [`user_${index}_admin0`, `user_${index}_admin1`];
	}

	get label() {
		return `org ${this.index} (${this.plan.kind})`;
	}

	async setUp() {
		this.orgId = await newOrganization({
			private_metadata: this.otherMetadata,
			public_metadata: this.publicMetadata,
		});
		const [admin0, admin1] = this.adminIds as [string, string];
		this.admins = [
			await tokenFor(this.orgId, { userId: admin0 }),
			await tokenFor(this.orgId, { userId: admin1, version: 1 }),
		];
		this.members = [
			await tokenFor(this.orgId, { userId: `user_${this.index}_member0`, role: "org:member" }),
			await tokenFor(this.orgId, { userId: `user_${this.index}_member1`, role: "org:member", version: 1 }),
		];
		if (this.plan.hiccup) {
			await queueClerkFaults(this.orgId, [this.plan.hiccup]);
			this.hiccups = 1;
		}
	}

	async run() {
		if (this.plan.kind === "racing") return this.race();
		await Promise.all([this.runLane(), ...this.plan.readers.map((reader) => this.runReader(reader))]);
	}

	private async runLane() {
		for (const op of this.plan.lane) {
			if (op.kind === "read") {
				const response = await this.call("GET", this.members[op.member], 1);
				expect(response.body, `${this.label}: read`).toEqual(settingsOf(this.state));
			} else if (op.kind === "forbidden") {
				const response = await this.call(op.method, this.members[op.member], 0);
				expect(response.body, `${this.label}: member ${op.method}`).toEqual(
					errorBody(response, "FORBIDDEN", FORBIDDEN),
				);
			} else if (op.kind === "failing") {
				// Clerk fails the write and asks for no wait: the organization's owner remembers a failure
				// until Clerk's Retry-After (settings-cache.test.ts), and this lane goes on at once.
				const failure = { status: 500, retryAfter: "0" };
				await queueClerkFaults(this.orgId, [failure, failure, failure]);
				const response = await this.call(op.method, this.admins[op.admin], 3);
				expect(response.body, `${this.label}: ${op.method} Clerk fails`).toEqual(
					errorBody(response, "UPSTREAM_UNAVAILABLE", CLERK_UNAVAILABLE),
				);
				expect(response.headers.get("Retry-After"), `${this.label}: Retry-After`).toBe("1");
			} else {
				this.state = await this.acknowledge(op);
			}
		}
	}

	private async runReader(members: number[]) {
		for (const member of members) {
			this.seenByReaders.push((await this.call("GET", this.members[member], 1)).body);
		}
	}

	private async race() {
		const writes = this.plan.lane as Extract<Op, { kind: "connect" | "disconnect" }>[];
		await Promise.all(writes.map((op) => this.acknowledge(op)));
		// Whatever order they landed in, Clerk keeps the whole record of the write it received last.
		const patches = (await clerkCalls(this.orgId)).filter((call) => call.method === "PATCH");
		const last = crmOf(patches.at(-1)?.body);
		const winner = this.acknowledged.findLast((state) =>
			last === null ? state === null : state?.apiKey.slice(-4) === last.apiKeyLast4,
		);
		expect(winner, `${this.label}: the write Clerk received last was acknowledged`).not.toBeUndefined();
		this.state = winner ?? null;
	}

	/** A connect or disconnect by an admin: 200, and the state Clerk now holds. */
	private async acknowledge(op: Extract<Op, { kind: "connect" | "disconnect" }>): Promise<State> {
		if (op.kind === "disconnect") {
			const response = await this.call("DELETE", this.admins[op.admin], 1);
			expect(response.body, `${this.label}: disconnect`).toEqual({ success: true, disconnected: true });
			this.acknowledged.push(null);
			return null;
		}
		const body = this.newSettings(op.provider);
		const response = await this.call("POST", this.admins[op.admin], 1, body);
		expect(response.status, `${this.label}: connect`).toBe(200);
		const { connectedAt } = response.body as { connectedAt: string };
		const saved = { ...body, connectedAt, connectedBy: this.adminIds[op.admin] as string };
		this.acknowledged.push(saved);
		return saved;
	}

	/** A key no other organization of the run has: its last 4 characters encode organization and key. */
	private newSettings(provider: Provider) {
		const n = this.keys++;
		const last4 = (this.index * 16 + n).toString(36).padStart(4, "0");
		const apiKey =
			provider === "close"
				? `api_o${this.index}k${n}.secretpart${this.index}x${n}y${last4}`
				: `bh-o${this.index}-k${n}-secret-${last4}`;
		this.ownLast4.add(last4);
		this.watch.apiKey(apiKey);
		return { provider, apiKey };
	}

	/** One request; `writes` is how many write attempts it must make to Clerk (a GET may read once). */
	private call(method: string, token: string | undefined, writes: number, body?: unknown) {
		if (method === "GET") this.reads++;
		else this.expectedWrites += writes;
		this.requests++;
		const payload = method === "POST" ? { body: body ?? this.newSettings("bullhorn") } : {};
		return this.watch.call(method, { token: token as string, ...payload });
	}

	async expectSettled() {
		const final = await this.call("GET", this.members[0], 1);
		expect(final.body, `${this.label}: the last acknowledged write`).toEqual(settingsOf(this.state));

		const seen = new Set(this.acknowledged.map((state) => JSON.stringify(settingsOf(state))));
		for (const body of this.seenByReaders) {
			expect(seen.has(JSON.stringify(body)), `${this.label}: a reader saw ${JSON.stringify(body)}`).toBe(
				true,
			);
		}

		const stored = await organization(this.orgId);
		const { crm, ...other } = stored.private_metadata;
		expect(other, `${this.label}: other private metadata`).toEqual(this.otherMetadata);
		expect(stored.public_metadata, `${this.label}: public metadata`).toEqual(this.publicMetadata);
		expect(crm === undefined, `${this.label}: disconnected in Clerk`).toBe(this.state === null);

		// Clerk heard every write attempt the requests needed and no other, each writing this
		// organization's own data, and at most one read per GET; a hiccup adds one call to one of them.
		const calls = await clerkCalls(this.orgId);
		const writes = calls.filter((c) => c.method === "PATCH").length;
		const reads = calls.filter((c) => c.method === "GET").length;
		expect(writes + reads, `${this.label}: Clerk calls are reads and writes`).toBe(calls.length);
		expect(writes, `${this.label}: Clerk writes`).toBeGreaterThanOrEqual(this.expectedWrites);
		expect(writes, `${this.label}: Clerk writes`).toBeLessThanOrEqual(this.expectedWrites + this.hiccups);
		const readHiccups = this.hiccups - (writes - this.expectedWrites);
		expect(reads, `${this.label}: Clerk reads`).toBeLessThanOrEqual(this.reads + readHiccups);
		for (const call of calls.filter((c) => c.method === "PATCH")) {
			const written = crmOf(call.body);
			if (written === null) continue;
			expect(this.adminIds, `${this.label}: written by`).toContain(written.connectedBy);
			expect([...this.ownLast4], `${this.label}: written key`).toContain(written.apiKeyLast4);
		}
	}
}

// ---- the property -----------------------------------------------------------------------------------

describe("many organizations, admins and members at once", () => {
	it("each organization ends at its last acknowledged write, and never sees another's data", async () => {
		const watch = watchForLeaks();
		await fc.assert(
			fc.asyncProperty(organizations, async (plans) => {
				const orgs = plans.map((plan, index) => new Organization(index, plan, watch));
				await Promise.all(orgs.map((org) => org.setUp()));
				await Promise.all(orgs.map((org) => org.run()));
				await Promise.all(orgs.map((org) => org.expectSettled()));
				watch.expectNoLeaks();
				expect(orgs.reduce((sum, org) => sum + org.requests, 0)).toBeGreaterThan(300);
			}),
			CONCURRENCY,
		);
	});
});
