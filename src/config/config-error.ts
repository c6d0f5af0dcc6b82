import { InternalFailure } from "../errors/api-error.ts";

/** A missing or malformed setting. Its message names the variable and never contains its value. */
export class ConfigError extends InternalFailure {
	constructor(message: string) {
		super(message);
		this.name = "ConfigError";
	}

	logFields() {
		return { msg: "configuration error", problem: this.message };
	}
}
