// Runs a load client (bench/clients/*-load.js) in its own process and reads its RESULT line.
import { spawn } from "node:child_process";
import type { LoadResult } from "../clients/load-report.js";

export function runLoadClient<R extends LoadResult>(script: string, config: object, seconds: number): Promise<R> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify(config)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => { out += d; });
    child.stderr.setEncoding("utf8").on("data", (d: string) => { err += d; });
    const killer = setTimeout(() => child.kill("SIGKILL"), (seconds + 30) * 1000);
    child.once("exit", (code) => {
      clearTimeout(killer);
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      if (line === undefined) { reject(new Error(`load client failed (exit ${code}): ${err.trim().split("\n").slice(-3).join(" | ")}`)); return; }
      resolve(JSON.parse(line.slice(7)) as R);
    });
  });
}
