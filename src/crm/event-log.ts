/**
 * The organization's events, in its owner's SQLite storage: the outbox of what is still to be sent to
 * the `CRM_EVENTS` queue, and the audit history admins read. An event is recorded in the same step that
 * acknowledges its change (the owner's answer waits until the row is durable), and marked sent once the
 * queue has taken it. Kept for a bounded time and count: the last 1,000 events, none older than a year —
 * but an event is never dropped before it was sent.
 */
import type { CrmEvent } from "./events.ts";

export const HISTORY_MAX_EVENTS = 1000;
export const HISTORY_MAX_AGE_MS = 365 * 24 * 60 * 60_000;

export interface HistoryPage {
	events: CrmEvent[];
	/** The seq below which the next page starts; null on the last page. */
	nextBefore: number | null;
}

export class EventLog {
	readonly #sql: SqlStorage;

	constructor(sql: SqlStorage) {
		this.#sql = sql;
		// AUTOINCREMENT: a seq is never reused, even once every older event has been pruned.
		sql.exec(
			"CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, body TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0)",
		);
	}

	/** Records the event (its id and seq given here) and prunes what is past keeping. */
	record(event: Omit<CrmEvent, "id" | "seq">, now: number): CrmEvent {
		const [row] = this.#sql
			.exec<{ seq: number }>("INSERT INTO events (at, body) VALUES (?, '') RETURNING seq", now)
			.toArray();
		const seq = (row as { seq: number }).seq;
		const recorded: CrmEvent = { id: `${event.orgId}-${seq}`, seq, ...event };
		this.#sql.exec("UPDATE events SET body = ? WHERE seq = ?", JSON.stringify(recorded), seq);
		this.#sql.exec(
			"DELETE FROM events WHERE sent = 1 AND (seq <= ? OR at < ?)",
			seq - HISTORY_MAX_EVENTS,
			now - HISTORY_MAX_AGE_MS,
		);
		return recorded;
	}

	/** What the queue has not taken yet, oldest first. */
	unsent(): CrmEvent[] {
		return this.#sql
			.exec<{ body: string }>("SELECT body FROM events WHERE sent = 0 ORDER BY seq")
			.toArray()
			.map((row) => JSON.parse(row.body) as CrmEvent);
	}

	markSent(seq: number): void {
		this.#sql.exec("UPDATE events SET sent = 1 WHERE seq = ?", seq);
	}

	/** Up to `limit` events, newest first, older than `before` when given. */
	page(limit: number, before: number | null): HistoryPage {
		const rows = this.#sql
			.exec<{ seq: number; body: string }>(
				"SELECT seq, body FROM events WHERE seq < ? ORDER BY seq DESC LIMIT ?",
				before ?? Number.MAX_SAFE_INTEGER,
				limit + 1,
			)
			.toArray();
		const events = rows.slice(0, limit).map((row) => JSON.parse(row.body) as CrmEvent);
		return { events, nextBefore: rows.length > limit ? (events.at(-1)?.seq ?? null) : null };
	}
}
