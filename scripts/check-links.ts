/**
 * `npm run check-links`: the documentation must stand alone in a clone. Fails (exit 1) when a
 * relative `[text](target)` link in a Markdown file of the repository points at nothing — a missing
 * file or folder, a place outside the repository, or a file git ignores (it exists here, not in a
 * clone) — or when a Markdown or TypeScript file refers to the sibling folder outside the repository
 * that once held the specification. Links to other sites, `mailto:` and pure `#anchor` links are not
 * checked, nor is anything inside a fenced code block or an inline code span.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

// Spelled in two parts so that this file does not report itself.
const OUTSIDE_FOLDER = ["..", "shared"].join("/");

const root = execFileSync("git", ["rev-parse", "--show-toplevel"], { encoding: "utf8" }).trim();

/** Tracked files, and new ones not yet committed, minus what git ignores (node_modules included). */
function repositoryFiles(...patterns: string[]): string[] {
	const output = execFileSync(
		"git",
		["ls-files", "--cached", "--others", "--exclude-standard", "--deduplicate", "--", ...patterns],
		{ cwd: root, encoding: "utf8" },
	);
	// A tracked file deleted from the work tree is no longer there to check.
	return output.split("\n").filter((file) => file !== "" && existsSync(join(root, file)));
}

interface Link {
	file: string;
	line: number;
	target: string;
}

const FENCE = /^\s*(`{3,}|~{3,})/;
const INLINE_CODE = /(`+)[^`]*?\1/g;
// Link text may hold one level of brackets; the target may be wrapped in <> and followed by a title.
const LINK = /\[(?:[^[\]]|\[[^[\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/** Every `[text](target)` of a Markdown file, outside code, with its line number. */
function linksIn(file: string): Link[] {
	const links: Link[] = [];
	let fence: string | undefined;
	const lines = readFileSync(join(root, file), "utf8").split("\n");
	for (const [index, text] of lines.entries()) {
		const marker = FENCE.exec(text)?.[1];
		if (fence !== undefined) {
			// A fence closes with the same character, at least as many times, and nothing after it.
			if (
				marker !== undefined &&
				marker[0] === fence[0] &&
				marker.length >= fence.length &&
				text.trim() === marker
			) {
				fence = undefined;
			}
			continue;
		}
		if (marker !== undefined) {
			fence = marker;
			continue;
		}
		// Code spans become filler of the same length, so `[a](b)` inside one is no link.
		const prose = text.replace(INLINE_CODE, (span) => "x".repeat(span.length));
		for (const match of prose.matchAll(LINK)) {
			const raw = match[1] ?? "";
			links.push({ file, line: index + 1, target: raw.replace(/^<|>$/g, "") });
		}
	}
	return links;
}

/** The repository path a relative link names, or undefined for links this check leaves alone. */
function pathOf(link: Link): string | undefined {
	const { target } = link;
	if (target === "" || target.startsWith("#") || SCHEME.test(target)) return undefined;
	const withoutSuffix = target.replace(/[?#].*$/, "");
	let decoded = withoutSuffix;
	try {
		decoded = decodeURIComponent(withoutSuffix);
	} catch {
		// Not valid percent-encoding: check the path as written.
	}
	// A leading slash means the repository root, as on GitHub.
	const base = decoded.startsWith("/") ? root : dirname(join(root, link.file));
	return resolve(base, decoded.replace(/^\/+/, ""));
}

/** Which of `paths` (absolute, inside the repository) git ignores. */
function ignoredPaths(paths: string[]): Set<string> {
	if (paths.length === 0) return new Set();
	const result = spawnSync("git", ["check-ignore", "--stdin", "-z"], {
		cwd: root,
		input: paths.map((path) => relative(root, path)).join("\0"),
		encoding: "utf8",
	});
	// Exit status 1 means that none is ignored; anything above it is a failure of git itself.
	if (result.status !== 0 && result.status !== 1)
		throw new Error(`git check-ignore failed: ${result.stderr}`);
	return new Set(
		result.stdout
			.split("\0")
			.filter((path) => path !== "")
			.map((path) => resolve(root, path)),
	);
}

const checked: { link: Link; path: string }[] = [];
for (const file of repositoryFiles("*.md")) {
	for (const link of linksIn(file)) {
		const path = pathOf(link);
		if (path !== undefined) checked.push({ link, path });
	}
}

const inside = (path: string) => {
	const fromRoot = relative(root, path);
	return fromRoot !== ".." && !fromRoot.startsWith(`..${sep}`) && !isAbsolute(fromRoot);
};
const ignored = ignoredPaths(
	checked.map(({ path }) => path).filter((path) => inside(path) && existsSync(path)),
);

let broken = 0;
for (const { link, path } of checked) {
	const problem = !inside(path)
		? "outside the repository"
		: !existsSync(path)
			? "no such file or directory"
			: ignored.has(path)
				? "ignored by git, so absent from a clone"
				: undefined;
	if (problem !== undefined) {
		broken++;
		console.error(`${link.file}:${link.line}: ${link.target} (${problem})`);
	}
}

let outsideReferences = 0;
for (const file of repositoryFiles("*.md", "*.ts", ":!package-lock.json")) {
	const lines = readFileSync(join(root, file), "utf8").split("\n");
	for (const [index, text] of lines.entries()) {
		if (text.includes(OUTSIDE_FOLDER)) {
			outsideReferences++;
			console.error(`${file}:${index + 1}: refers to ${OUTSIDE_FOLDER}, which a clone does not have`);
		}
	}
}

console.log(`links: ${checked.length} checked, ${broken} broken`);
if (outsideReferences > 0) console.log(`${OUTSIDE_FOLDER} references: ${outsideReferences}`);
if (broken > 0 || outsideReferences > 0) process.exitCode = 1;
