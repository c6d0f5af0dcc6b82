import type { Session } from "./auth/session.ts";
import type { Config } from "./config/config.ts";
import type { CrmOwnerClient } from "./crm/owner-client.ts";

/** Types of the Hono context: the Worker's bindings and what middleware puts on each request. */
export interface AppEnv {
	Bindings: Env;
	Variables: {
		requestId: string;
		config: Config;
		owners: CrmOwnerClient;
		session: Session;
		/** Why authentication failed, for the request log line only. */
		authFailure: string;
		/** Set when no route matched: the log line then does not repeat the raw path. */
		unknownPath: boolean;
	};
}
