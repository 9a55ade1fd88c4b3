import { test } from "node:test";
import assert from "node:assert/strict";
import { isValidFilter, topicMatches } from "../../src/mqtt/topic.js";
import { leakCheckAfterAll } from "../helpers.js";

test("topic filters match as MQTT section 4.7 says", () => {
  const yes: [string, string][] = [
    ["a/b", "a/b"], ["a/+", "a/b"], ["+/b", "a/b"], ["#", "a/b/c"], ["a/#", "a"], ["a/#", "a/b/c"], ["+", "a"],
    ["+/+", "/x"], ["/+", "/x"], ["a/+/c", "a//c"], ["+/#", "a"], ["$SYS/#", "$SYS/x"], ["a/b/#", "a/b"], ["", ""],
  ];
  const no: [string, string][] = [
    ["a/b", "a/c"], ["a/+", "a/b/c"], ["a/+", "a"], ["+", "/x"], ["#", "$SYS/x"], ["+/x", "$SYS/x"], ["a/b", "a/b/c"],
    ["a/b/c", "a/b"], ["ab", "a"], ["a/#", "ab"], ["a/b/#", "a/c"],
  ];
  for (const [f, t] of yes) if (f !== "") assert.equal(topicMatches(f, t), true, `${f} ~ ${t}`);
  for (const [f, t] of no) assert.equal(topicMatches(f, t), false, `${f} !~ ${t}`);
});

test("filter validation", () => {
  for (const f of ["a", "a/b", "+", "#", "a/+/b", "a/#", "+/+", "/", "$SYS/#"]) assert.equal(isValidFilter(f), true, f);
  for (const f of ["", "a#", "a/#/b", "a+", "a/b+", "#/a", "a/+b"]) assert.equal(isValidFilter(f), false, f);
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
