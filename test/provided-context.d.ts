// Values test/global-setup.ts provides to every test file (vitest `provide`/`inject`).
declare module "vitest" {
	export interface ProvidedContext {
		emulatorUrl: string;
		jwtPublicKey: string;
		jwtPrivateKey: string;
	}
}

export {};
