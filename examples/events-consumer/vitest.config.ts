import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// The consumer's tests run inside workerd, with this folder's wrangler.toml (its queue consumer included).
// `root` is this folder whether vitest is started here, with `--config` from elsewhere, or as a project of
// another config: the wrangler.toml path and `include` are relative to it.
export default defineConfig({
	root: decodeURIComponent(new URL(".", import.meta.url).pathname),
	plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" } })],
	test: {
		name: "events-consumer",
		include: ["test/**/*.test.ts"],
	},
});
