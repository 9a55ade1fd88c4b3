// The version the library reports is package.json's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { VERSION } from "../../src/util/version.js";
import { leakCheckAfterAll } from "../helpers.js";

test("src/util/version.ts matches package.json", () => {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
  assert.equal(VERSION, pkg.version);
});

leakCheckAfterAll();
