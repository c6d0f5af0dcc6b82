import type { Env, Schema } from "hono";
import { HonoBase, type HonoOptions } from "hono/hono-base";
import { TrieRouter } from "hono/router/trie-router";
import type { BlankEnv, BlankSchema } from "hono/types";

/**
 * Hono with `TrieRouter` alone, built like Hono's own presets (named apart from `Hono`, so a reader
 * knows which one they hold). The default preset ships two routers
 * (RegExpRouter, then TrieRouter as fallback) for a handful of static routes; one is 1.8 KiB gzip
 * smaller. `hono/tiny` and `hono/quick` are smaller still, but their routers also match a trailing
 * slash (`/api/v1/health/`), which the API answers with 404 (pinned in test/routing.test.ts).
 *
 * @example
 * const app = new TrieHono<AppEnv>().get("/", (c) => c.json({ status: "ok" }));
 */
export class TrieHono<
	E extends Env = BlankEnv,
	S extends Schema = BlankSchema,
	BasePath extends string = "/",
> extends HonoBase<E, S, BasePath> {
	constructor(options: HonoOptions<E> = {}) {
		super(options);
		this.router = options.router ?? new TrieRouter();
	}
}
