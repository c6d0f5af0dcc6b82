/** Where the CRM settings live (docs/contract.md §2); the OpenAPI generator reads it too, so it imports nothing. */
export const SETTINGS_PATH = "/api/v1/operations/crm/settings";
