// The machine a run happened on, for the results file.
import * as os from "node:os";

export interface SysInfo { date: string; node: string; cpu: string; nproc: number; load: string; os: string }

export function sysInfo(): SysInfo {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC"),
    node: process.version,
    cpu: cpus[0]?.model.trim() ?? "unknown",
    nproc: os.availableParallelism(),
    load: os.loadavg().map((x) => x.toFixed(2)).join(" "),
    os: `${os.type()} ${os.release()}`,
  };
}
