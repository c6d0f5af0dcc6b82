/**
 * Whether a URL's hostname is this machine's loopback interface: the only place secrets may travel to
 * over plain http (the emulator, for `npm run dev` and the tests).
 */
export function isLoopbackHost(hostname: string): boolean {
	return /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/.test(hostname);
}
