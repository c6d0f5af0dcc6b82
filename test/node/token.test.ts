/**
 * `npm run -s token`, run as a developer runs it (a Node process of its own): it refuses to mint a token
 * for an organization id the API would refuse, and mints one for an id in Clerk's shape.
 */
import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";

interface TokenRun {
	code: number;
	stdout: string;
	stderr: string;
}

/** scripts/token.ts with `args`; nothing of the runner's environment but PATH and the compile cache. */
function token(args: string[]): Promise<TokenRun> {
	return new Promise((resolve) => {
		execFile(
			process.execPath,
			["scripts/token.ts", ...args],
			{
				env: {
					PATH: process.env.PATH ?? "",
					...(process.env.NODE_COMPILE_CACHE ? { NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE } : {}),
				} as unknown as NodeJS.ProcessEnv,
			},
			(error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
		);
	});
}

const claims = (jwt: string) =>
	JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString()) as { o?: { id?: string } };

describe.concurrent("npm run token", () => {
	it.each(["acme", "org_", "org_acme-corp", "org_../users", "ORG_acme", `org_${"a".repeat(65)}`])(
		"refuses --org %s (exit 2, the shape on stderr, nothing on stdout)",
		async (org) => {
			const { code, stdout, stderr } = await token(["--org", org]);
			expect(code).toBe(2);
			expect(stdout).toBe("");
			expect(stderr).toContain(
				`token: --org must be a Clerk organization id, \`org_\` then 1 to 64 letters and digits (e.g. org_acme), got "${org}"`,
			);
		},
	);

	it("mints a token for an organization id in Clerk's shape, naming it", async () => {
		const { code, stdout } = await token(["--org", "org_2Z9xKacme", "--role", "org:member"]);
		expect(code).toBe(0);
		expect(claims(stdout.trim()).o?.id).toBe("org_2Z9xKacme");
	});
});
