import { describe, expect, it } from "vitest";
import { backoff, parseRetryAfter } from "../src/http/fetch-with-retry.ts";

describe("parseRetryAfter", () => {
	const now = Date.parse("Sun, 06 Nov 1994 08:49:30 GMT");

	it.each([
		["2", 2000],
		[" 0 ", 0],
		["120", 120_000],
		["Sun, 06 Nov 1994 08:49:37 GMT", 7000],
		["Sun, 06 Nov 1994 08:49:00 GMT", 0],
	])("reads %j as %i ms", (value, ms) => {
		expect(parseRetryAfter(value, now)).toBe(ms);
	});

	it.each([
		[null],
		[""],
		["1.5"],
		["-1"],
		["soon"],
		["Sunday, 06-Nov-94 08:49:37 GMT"],
		["1994-11-06T08:49:37Z"],
	])("ignores %j", (value) => {
		expect(parseRetryAfter(value, now)).toBeUndefined();
	});
});

describe("backoff", () => {
	it("doubles with each attempt and stays in the upper half of each step", () => {
		expect([1, 2, 3].map((attempt) => backoff(100, attempt, () => 0))).toEqual([50, 100, 200]);
		expect([1, 2, 3].map((attempt) => backoff(100, attempt, () => 0.999999))).toEqual([100, 200, 400]);
	});
});
