/**
 * A mask never reveals more than four characters of a secret. A Close key `api_<id>.<secret>` shows its
 * id apart (`apiKeyId`, which Close calls safe to share), so its last four are shown only when the
 * secret part alone is long enough (16 characters, the rule for any key).
 */
import { describe, expect, it } from "vitest";
import { getSettings, saveSettings } from "./support/api.ts";
import { newOrganization, organization } from "./support/emulator.ts";
import { tokenFor } from "./support/tokens.ts";

const HIDDEN = "*".repeat(24);

async function saveAndRead(provider: "close" | "bullhorn", apiKey: string) {
	const orgId = await newOrganization();
	const token = await tokenFor(orgId);
	expect((await saveSettings({ token, body: { provider, apiKey } })).status).toBe(200);
	const stored = (await organization(orgId)).private_metadata.crm as Record<string, unknown>;
	return { body: (await getSettings({ token })).body as Record<string, unknown>, stored };
}

describe("masks of Close keys count only the secret part", () => {
	it("api_<id>.<4 characters>: the id is shown, none of the secret (before: the whole key)", async () => {
		const { body, stored } = await saveAndRead("close", "api_0123456789ab.WXYZ");
		expect(body).toEqual({
			connected: true,
			provider: "close",
			connectedAt: expect.any(String),
			apiKeyMasked: HIDDEN,
			apiKeyId: "api_0123456789ab",
			connectedBy: "user_test",
			status: "unverified",
		});
		expect(stored.apiKeyLast4).toBeUndefined(); // null in the PATCH, which Clerk deletes
	});

	it.each([
		["a 15-character secret: nothing of it", `api_0123456789ab.${"s".repeat(11)}WXYZ`, HIDDEN],
		[
			"a 16-character secret: its last four",
			`api_0123456789ab.${"s".repeat(12)}WXYZ`,
			`${"*".repeat(20)}WXYZ`,
		],
	])("%s", async (_name, apiKey, mask) => {
		const { body } = await saveAndRead("close", apiKey);
		expect(body.apiKeyMasked).toBe(mask);
		expect(body.apiKeyId).toBe("api_0123456789ab");
	});

	it("a Bullhorn key of the same shape is one secret: its last four show, and no id", async () => {
		const { body } = await saveAndRead("bullhorn", "api_0123456789ab.WXYZ");
		expect(body).toEqual({
			connected: true,
			provider: "bullhorn",
			connectedAt: expect.any(String),
			apiKeyMasked: `${"*".repeat(20)}WXYZ`,
			connectedBy: "user_test",
			status: "unverified",
		});
	});
});
