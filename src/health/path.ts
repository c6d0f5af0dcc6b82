/** Where the Worker answers its health check; the OpenAPI generator reads it too, so it imports nothing. */
export const HEALTH_PATH = "/api/v1/health";
