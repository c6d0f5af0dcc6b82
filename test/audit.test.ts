import { describe, expect, it } from "vitest";
import { disconnect, getSettings, SETTINGS_URL, saveSettings, send } from "./support/api.ts";
import { newOrganization } from "./support/emulator.ts";
import { captureLogs } from "./support/logs.ts";
import { tokenFor } from "./support/tokens.ts";

const PATH = "/api/v1/operations/crm/settings";

describe("audit", () => {
	it("logs one JSON line per write and per failure: method, path, status, duration, request id, organization", async () => {
		const logs = captureLogs();
		const orgId = await newOrganization();
		const token = await tokenFor(orgId, { userId: "user_auditor" });
		const saved = await saveSettings({
			token,
			body: { provider: "bullhorn", apiKey: "bh-secret-key-0000abc1" },
		});
		const read = await getSettings({ token });
		const removed = await disconnect({ token });
		const refused = await getSettings();
		const line = (method: string, status: number, requestId: string | null, org: string | null) => ({
			level: "info",
			msg: "request",
			method,
			path: PATH,
			status,
			ms: expect.any(Number),
			requestId,
			orgId: org,
		});
		// A read that succeeds changes nothing and logs nothing (src/middleware/log.ts).
		expect(logs.entries()).toEqual([
			line("POST", 200, saved.headers.get("X-Request-Id"), orgId),
			line("DELETE", 200, removed.headers.get("X-Request-Id"), orgId),
			{
				...line("GET", 400, refused.headers.get("X-Request-Id"), null),
				authFailure: "missing-bearer-token",
			},
		]);
		const { connectedAt } = saved.body as { connectedAt: string };
		expect(read.body).toEqual({
			connected: true,
			provider: "bullhorn",
			connectedAt,
			apiKeyMasked: "********************abc1",
			connectedBy: "user_auditor",
			status: "unverified",
		});
	});

	it("logs the path without the query string", async () => {
		const logs = captureLogs();
		const orgId = await newOrganization();
		const response = await send(
			new Request(`${SETTINGS_URL}?apiKey=should-not-be-logged`, {
				method: "DELETE",
				headers: { Authorization: `Bearer ${await tokenFor(orgId)}` },
			}),
		);
		expect(response.status).toBe(200);
		// The request's one line, with the bare path: a test that saw no line would prove nothing.
		expect(logs.entries()).toEqual([
			{
				level: "info",
				msg: "request",
				method: "DELETE",
				path: PATH,
				status: 200,
				ms: expect.any(Number),
				requestId: response.headers.get("X-Request-Id"),
				orgId,
			},
		]);
		expect(logs.lines.join("\n")).not.toContain("should-not-be-logged");
	});
});
