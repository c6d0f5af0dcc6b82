/** Largest request body read; anything longer is refused before it is parsed (413). */
export const MAX_BODY_BYTES = 16 * 1024;
