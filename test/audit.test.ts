import { describe, expect, it } from "vitest";
import { getSettings, saveSettings } from "./support/api.ts";
import { newOrganization } from "./support/emulator.ts";
import { captureLogs } from "./support/logs.ts";
import { tokenFor } from "./support/tokens.ts";

describe("audit", () => {
	it("logs one JSON line per request: method, path, status, duration, request id, organization", async () => {
		const logs = captureLogs();
		const orgId = await newOrganization();
		const token = await tokenFor(orgId, { userId: "user_auditor" });
		const saved = await saveSettings({
			token,
			body: { provider: "bullhorn", apiKey: "bh-secret-key-0000abc1" },
		});
		const read = await getSettings({ token });
		expect(logs.entries()).toEqual([
			{
				level: "info",
				msg: "request",
				method: "POST",
				path: "/api/v1/operations/crm/settings",
				status: 200,
				ms: expect.any(Number),
				requestId: saved.headers.get("X-Request-Id"),
				orgId,
			},
			{
				level: "info",
				msg: "request",
				method: "GET",
				path: "/api/v1/operations/crm/settings",
				status: 200,
				ms: expect.any(Number),
				requestId: read.headers.get("X-Request-Id"),
				orgId,
			},
		]);
		expect(read.body).toMatchObject({ connectedBy: "user_auditor" });
	});

	it("logs the path without the query string", async () => {
		const logs = captureLogs();
		const { send, SETTINGS_URL } = await import("./support/api.ts");
		await send(new Request(`${SETTINGS_URL}?apiKey=should-not-be-logged`));
		expect(logs.lines.join("\n")).not.toContain("should-not-be-logged");
	});
});
