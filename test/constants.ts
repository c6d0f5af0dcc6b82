/** Fixed values the test configuration and the tests share. None of them is a real credential. */
export const TEST_CLERK_SECRET_KEY = "sk_test_emulator_0123456789abcdefghijklmnopqrstuvwxyz";
export const TEST_FRONTEND_ORIGIN = "https://app.example.com";
/** A Close key the emulator's Close stand-in accepts. */
export const GOOD_CLOSE_API_KEY = "api_7b8KOSMa0OevK9qJvT6F9s.2H3Bt8ktGaQ9kVK45P7j7p";
/** Clerk's limit for a development instance: Backend API requests per 10 s ("system limits" page). */
export const DEVELOPMENT_INSTANCE_LIMIT = 100;
