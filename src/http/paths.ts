/**
 * The API's paths and the methods each offers: the one table that the routes' `Allow` headers, their
 * 405 answers and the CORS preflights are all made from, so that they cannot drift apart.
 */

export type Method = "GET" | "HEAD" | "POST" | "DELETE";

export interface PathMethods {
	path: string;
	methods: readonly Method[];
	/** Called by the front end from browsers: CORS preflights are answered, and OPTIONS is offered. */
	browsers: boolean;
}

export const HEALTH: PathMethods = { path: "/api/v1/health", methods: ["GET", "HEAD"], browsers: false };
export const OPENAPI: PathMethods = {
	path: "/api/v1/openapi.json",
	methods: ["GET", "HEAD"],
	browsers: false,
};
/**
 * The interactive API reference (Swagger UI) of the OpenAPI document. Its page and the document are static
 * assets (scripts/docs-page/); the page's script and stylesheet are served from under this path.
 */
export const DOCS: PathMethods = { path: "/api/v1/docs", methods: ["GET", "HEAD"], browsers: false };
export const SETTINGS: PathMethods = {
	path: "/api/v1/operations/crm/settings",
	methods: ["GET", "HEAD", "POST", "DELETE"],
	browsers: true,
};
/** Re-check the stored key with the CRM. */
export const VERIFY: PathMethods = {
	path: "/api/v1/operations/crm/settings/verify",
	methods: ["POST"],
	browsers: true,
};

/** The organization's audit history: its CRM connection's events, newest first. */
export const HISTORY: PathMethods = {
	path: "/api/v1/operations/crm/settings/history",
	methods: ["GET", "HEAD"],
	browsers: true,
};

/** The `Allow` header of a path: its methods, and OPTIONS where browsers call it. */
export function allowOf({ methods, browsers }: PathMethods): string {
	return [...methods, ...(browsers ? ["OPTIONS"] : [])].join(", ");
}

/** The methods a CORS preflight offers: a browser never preflights HEAD (it is a CORS-safelisted method). */
export function corsMethodsOf({ methods }: PathMethods): string[] {
	return methods.filter((method) => method !== "HEAD");
}
