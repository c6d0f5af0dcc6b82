/**
 * `npm run keys:report` as an operator runs it: `scripts/keys-report.ts` in a Node process of its own
 * (for the Node-side suites: test/node and test/smoke; workerd cannot start processes).
 */
import { execFile } from "node:child_process";

export interface ReportRun {
	code: number;
	stdout: string;
	stderr: string;
}

/**
 * Runs the report with `args` and only the variables in `env`: nothing of the test runner's environment
 * leaks in but the compile cache vitest.config.ts sets, which spares each process compiling the same
 * modules again.
 *
 * @example
 * const { code, stdout } = await runKeysReport(["--json"], { CLERK_SECRET_KEY, CLERK_API_URL });
 */
export function runKeysReport(args: string[], env: Record<string, string>): Promise<ReportRun> {
	return new Promise((resolve) => {
		execFile(
			process.execPath,
			["scripts/keys-report.ts", ...args],
			{
				env: {
					PATH: process.env.PATH ?? "",
					...(process.env.NODE_COMPILE_CACHE ? { NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE } : {}),
					...env,
				} as unknown as NodeJS.ProcessEnv,
			},
			(error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
		);
	});
}
