/** A missing or malformed setting. Its message names the variable and never contains its value. */
export class ConfigError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "ConfigError";
	}
}
