import * as z from "zod/mini";

/** Body of a 200 `GET /api/v1/health`. */
export const healthResponseSchema = z.object({ status: z.literal("ok") });
export type HealthResponse = z.infer<typeof healthResponseSchema>;
