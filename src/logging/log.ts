/**
 * Writes one JSON object per line to the Worker's log (Workers Logs and `wrangler tail` index it).
 * Callers pass only fields that are safe to keep: never a token, an API key or the Clerk secret.
 *
 * @example
 * log("error", { msg: "configuration error", problem: "CLERK_JWT_KEY is not set", requestId });
 */
export function log(level: "info" | "warn" | "error", fields: Record<string, unknown>): void {
	const line = JSON.stringify({ level, ...fields });
	if (level === "error") console.error(line);
	else console.log(line);
}
