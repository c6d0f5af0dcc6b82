/** Where the Worker serves its OpenAPI document (public, no authentication). */
export const OPENAPI_PATH = "/api/v1/openapi.json";
