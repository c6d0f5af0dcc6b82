// Values test/global-setup.ts provides to every test file (vitest `provide`/`inject`).
declare module "vitest" {
	export interface ProvidedContext {
		emulatorUrl: string;
		/** An emulator that plays Clerk's instance limit of a development instance. */
		limitedEmulatorUrl: string;
		jwtPublicKey: string;
		jwtPrivateKey: string;
	}
}

export {};
