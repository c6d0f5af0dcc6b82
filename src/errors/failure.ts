/**
 * The one server-side failure type. Clients of outside services, the configuration, the key ring and the
 * stored record throw it with a `kind` saying what went wrong; the organization's owner turns kinds into
 * answers (crm/outcome.ts), and the log keeps its fields, which are safe by construction: a setting's
 * name, an upstream's status, never a token, an API key, a secret or an upstream's own text.
 */

export type FailureKind =
	/** A setting is missing or malformed, or Clerk refused `CLERK_SECRET_KEY`. */
	| "configuration"
	/** An upstream did not answer usably in time (timeouts, network errors, 429, 5xx): asking later may work. */
	| "unavailable"
	/** An upstream answered something this service cannot use; asking again will not help. */
	| "upstream"
	/** Clerk has no such organization (404 `resource_not_found`). */
	| "not-found"
	/** Clerk refused a metadata write: the organization's metadata would exceed 8 KB (422). */
	| "too-large"
	/** `private_metadata.crm` holds something that is not a CRM record. */
	| "unreadable-record"
	/** A sealed key does not open: a key id the ring lacks, another organization's envelope, tampering. */
	| "key-does-not-open"
	/** A plaintext key is stored although `CRM_ENCRYPTION_KEYS` is set: it may have been planted. */
	| "plaintext-refused"
	/** Bullhorn's sign-in gave no code: a wrong username or password, or terms not yet accepted. */
	| "sign-in-refused"
	/** Bullhorn refused the OAuth client: an unknown client id, or a wrong secret (`invalid_client`). */
	| "client-refused"
	/** Bullhorn refused a refresh token or code (`invalid_grant`): used, revoked or expired. */
	| "grant-refused"
	/** Bullhorn refused a REST session (`BhRestToken`): 401. */
	| "session-refused";

const LOG_MESSAGE: Record<FailureKind, string> = {
	configuration: "configuration error",
	unavailable: "upstream failure",
	upstream: "upstream failure",
	"not-found": "upstream failure",
	"too-large": "upstream failure",
	"unreadable-record": "unreadable stored record",
	"key-does-not-open": "stored key does not open",
	"plaintext-refused": "plaintext key refused",
	"sign-in-refused": "upstream refused",
	"client-refused": "upstream refused",
	"grant-refused": "upstream refused",
	"session-refused": "upstream refused",
};

/** What a call to an outside service came to, for the log. */
export interface UpstreamDetails {
	service: string;
	status?: number;
	attempts: number;
	/** The wait the upstream asked for in its last `Retry-After`, if it sent one. */
	retryAfterMs?: number;
}

/**
 * A failure whose message says what went wrong, for operators only: the client hears `500` or the answer
 * the owner made of its kind.
 *
 * @example
 * throw new InternalFailure("configuration", "CLERK_JWT_KEY is not set");
 */
export class InternalFailure extends Error {
	readonly kind: FailureKind;
	readonly upstream: UpstreamDetails | undefined;

	constructor(kind: FailureKind, message: string, upstream?: UpstreamDetails) {
		super(message);
		this.name = "InternalFailure";
		this.kind = kind;
		this.upstream = upstream;
	}

	logFields(): Record<string, unknown> {
		const fields: Record<string, unknown> = { msg: LOG_MESSAGE[this.kind], problem: this.message };
		if (this.upstream) {
			fields.service = this.upstream.service;
			fields.upstreamStatus = this.upstream.status ?? null;
			fields.attempts = this.upstream.attempts;
		}
		return fields;
	}
}

/**
 * A call to `service` that failed; the message is `service: reason`, as operators search for it.
 *
 * @example
 * throw upstreamFailure("unavailable", "clerk", "HTTP 503", { status: 503, attempts: 3 });
 */
export function upstreamFailure(
	kind: Exclude<
		FailureKind,
		"configuration" | "unreadable-record" | "key-does-not-open" | "plaintext-refused"
	>,
	service: string,
	reason: string,
	details: Omit<UpstreamDetails, "service">,
): InternalFailure {
	return new InternalFailure(kind, `${service}: ${reason}`, { service, ...details });
}

/**
 * What a log line may say of any failure: an InternalFailure's own safe fields, or else only the
 * error's name (its message may quote a token, a key or an upstream's answer).
 */
export function safeLogFields(error: unknown): Record<string, unknown> {
	if (error instanceof InternalFailure) return error.logFields();
	return { msg: "unexpected error", errorName: error instanceof Error ? error.name : typeof error };
}
