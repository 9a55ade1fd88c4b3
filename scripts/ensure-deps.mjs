// `npm run build` (and so start, test, bench) on a clone where `npm ci` has not run yet:
// the build needs the dev dependencies (TypeScript), so they are installed first, with
// the exact versions of package-lock.json, instead of failing with "tsc: not found".
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
if (!existsSync(new URL("../node_modules/typescript/bin/tsc", import.meta.url))) {
  console.log("node_modules has no TypeScript: running `npm ci` first (the README's quick start does it too)");
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(npm, ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`npm ci failed (${r.error?.message ?? `exit ${r.status}`}): run it yourself in ${root}, then the build again`);
    process.exit(1);
  }
}
