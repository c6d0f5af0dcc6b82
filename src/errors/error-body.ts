/**
 * The one error body of the API (docs/contract.md §3) as a zod schema: the handler's type and the OpenAPI document
 * both come from it. Only types are imported from here at run time, so the schema costs the Worker
 * no bytes.
 */
import * as z from "zod/mini";
import { ERROR_STATUS, type ErrorCode } from "./codes.ts";

export const errorCodeSchema = z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]);

/** One problem with one field of the request; `path` is the dotted field path ("" for the body itself). */
export const errorDetailSchema = z.object({
	path: z.string(),
	message: z.string(),
});

export const errorBodySchema = z.object({
	error: z.string(),
	code: errorCodeSchema,
	requestId: z.string(),
	details: z.optional(z.array(errorDetailSchema)),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;
