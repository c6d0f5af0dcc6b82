import { describe, expect, it } from "vitest";
import { disconnect, getSettings, saveSettings } from "./support/api.ts";
import { newOrganization, organization } from "./support/emulator.ts";
import { tokenFor } from "./support/tokens.ts";

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe("GET settings of an organization that never connected a CRM", () => {
	it("answers connected:false with null provider and key, and no connectedAt", async () => {
		const orgId = await newOrganization();
		const response = await getSettings({ token: await tokenFor(orgId, { role: "org:member" }) });
		expect(response.status).toBe(200);
		expect(response.body).toEqual({ connected: false, provider: null, apiKeyMasked: null });
	});
});

describe("POST then GET then DELETE", () => {
	it("connects, shows the masked key, and disconnects", async () => {
		const orgId = await newOrganization();
		const token = await tokenFor(orgId, { userId: "user_admin1" });

		const saved = await saveSettings({
			token,
			body: { provider: "bullhorn", apiKey: "bh-secret-key-0000abc1" },
		});
		expect(saved.status).toBe(200);
		expect(saved.body).toEqual({
			success: true,
			provider: "bullhorn",
			connectedAt: expect.stringMatching(ISO_MS),
		});
		const { connectedAt } = saved.body as { connectedAt: string };

		const read = await getSettings({ token });
		expect(read.body).toEqual({
			connected: true,
			provider: "bullhorn",
			connectedAt,
			apiKeyMasked: "********************abc1",
			connectedBy: "user_admin1",
		});

		const removed = await disconnect({ token });
		expect(removed.status).toBe(200);
		expect(removed.body).toEqual({ success: true, disconnected: true });
		expect((await organization(orgId)).private_metadata).toEqual({});
		expect((await getSettings({ token })).body).toEqual({
			connected: false,
			provider: null,
			apiKeyMasked: null,
		});
	});
});
