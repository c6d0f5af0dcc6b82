// The reference page's own script, copied by scripts/docs-page/build.ts beside Swagger UI (the page's
// Content-Security-Policy allows script files of its own origin only, no inline script). It starts Swagger
// UI on the OpenAPI document of this origin, configured so that nothing outside this origin is called.

(() => {
	const root = document.getElementById("swagger-ui");
	const ui = window.SwaggerUIBundle({
		domNode: root,
		url: root.dataset.openapiUrl,
		// Off: by default Swagger UI shows a badge image fetched from https://validator.swagger.io.
		validatorUrl: null,
		// The page shows this API's document only: no `?url=` or `?configUrl=` to load another.
		queryConfigEnabled: false,
		// "Try it out" is on from the start: each operation offers Execute.
		tryItOutEnabled: true,
		// A token typed into "Authorize" stays in this tab's memory, never in localStorage.
		persistAuthorization: false,
		deepLinking: true,
		displayRequestDuration: true,
		onComplete: () => preauthorize(ui),
	});
})();

/**
 * Under `npm run dev`, docs/dev-auth.js (written into the development assets only) holds a development
 * session token: "Authorize" starts filled with it, for every bearer scheme of the document.
 */
function preauthorize(ui) {
	const token = window.crmDocsDevToken;
	if (typeof token !== "string") return;
	const schemes = ui.specSelectors.specJson().getIn(["components", "securitySchemes"]);
	schemes?.forEach((scheme, name) => {
		if (scheme.get("type") === "http" && scheme.get("scheme") === "bearer")
			ui.preauthorizeApiKey(name, token);
	});
}
