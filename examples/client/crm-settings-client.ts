/**
 * How a front end calls the CRM settings API: a client generated from the committed OpenAPI document
 * (`openapi-typescript` → schema.d.ts) and `openapi-fetch`, so every path, body and answer is typed —
 * a connected GET narrows `provider` to a CRM, and an error's `code` to what its status carries.
 *
 * @example
 * const crm = crmSettingsClient({ baseUrl: "https://crm.example.com", getToken: () => clerk.session.getToken() });
 * const { data, error } = await crm.GET("/api/v1/operations/crm/settings");
 * if (data?.connected) console.log(data.provider, data.apiKeyMasked);
 * else if (error) console.log(error.code, error.requestId);
 */
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema.d.ts";

export interface CrmSettingsClientOptions {
	baseUrl: string;
	/** The caller's current Clerk session token (in a browser: `await clerk.session.getToken()`). */
	getToken: () => Promise<string | null>;
	/** Another `fetch`, e.g. a service binding's or a test's. */
	fetch?: (request: Request) => Promise<Response>;
}

export function crmSettingsClient(options: CrmSettingsClientOptions) {
	const client = createClient<paths>({
		baseUrl: options.baseUrl,
		...(options.fetch ? { fetch: options.fetch } : {}),
	});
	const bearer: Middleware = {
		async onRequest({ request }) {
			const token = await options.getToken();
			if (token) request.headers.set("Authorization", `Bearer ${token}`);
			return request;
		},
	};
	client.use(bearer);
	return client;
}

export type CrmSettingsClient = ReturnType<typeof crmSettingsClient>;
