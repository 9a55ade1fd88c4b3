// External programs the benchmarks need (wrk, openssl): found on PATH, or installed
// from Debian when running as root, or a clear message saying how to get them.
import { spawnSync, execFileSync } from "node:child_process";

const DEBIAN_PACKAGE: Record<string, string> = { wrk: "wrk", openssl: "openssl", mosquitto: "mosquitto" };

// Daemons such as mosquitto live in /usr/sbin, which is not on every user's PATH.
const SEARCH_PATH = `${process.env.PATH ?? ""}:/usr/sbin:/sbin`;

export function hasCommand(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore", env: { ...process.env, PATH: SEARCH_PATH } }).status === 0;
}

/** Where the mosquitto broker is (after ensureTools(["mosquitto"])). */
export function mosquittoPath(): string {
  const r = spawnSync("sh", ["-c", "command -v mosquitto"], { encoding: "utf8", env: { ...process.env, PATH: SEARCH_PATH } });
  return r.status === 0 ? r.stdout.trim() : "mosquitto";
}

/** Makes sure every command in `cmds` exists; throws a message naming what to install otherwise. */
export function ensureTools(cmds: string[]): void {
  const missing = [...new Set(cmds)].filter((c) => !hasCommand(c));
  if (missing.length === 0) return;
  const pkgs = missing.map((c) => DEBIAN_PACKAGE[c] ?? c);
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot || !hasCommand("apt-get")) {
    throw new Error(`the benchmarks need ${missing.join(", ")}, which ${missing.length > 1 ? "are" : "is"} not installed.\n` +
      `Install with: sudo apt-get install ${pkgs.join(" ")}   (then run npm run bench again)`);
  }
  console.log(`# installing ${pkgs.join(" ")} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...pkgs], { stdio: "inherit", env });
  const still = missing.filter((c) => !hasCommand(c));
  if (still.length > 0) throw new Error(`apt-get did not provide ${still.join(", ")}`);
}
