// Argument parsing and exits shared by the subcommands that live in their own files
// (cli-get.ts, cli-mqtt.ts, cli-serve-extras.ts). Same conventions as cli.ts: strict
// node:util parseArgs, a usage error is exit 2, a failure of the work is exit 1.
import { parseArgs, type ParseArgsConfig } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** A usage error: the message, the command's usage line (first line of `help`), exit code 2. */
export function usageError(cmd: string, help: string, msg: string): never {
  const name = `tsmongoose ${cmd}`;
  process.stderr.write(`${name}: ${msg}\n${help.split("\n")[0]!}\nRun "${name} --help" for more.\n`);
  process.exit(2);
}

/** A failure of the work itself, not of the arguments (exit 1 unless told). */
export function fail(cmd: string, msg: string, code = 1): never {
  process.stderr.write(`tsmongoose ${cmd}: ${msg}\n`);
  process.exit(code);
}

/** What parseCommand returns for options O (--help included). */
export type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O & typeof HELP_OPTION; strict: true; allowPositionals: true }>>;

const HELP_OPTION = { help: { type: "boolean", short: "h" } } as const;
/** For commands whose -h is something else (pub/sub: -h host, as in mosquitto_pub). */
const LONG_HELP_OPTION = { help: { type: "boolean" } } as const;

/**
 * parseArgs in strict mode with --help (and -h unless an option takes that letter); a
 * usage error names the first problem.
 */
export function parseCommand<O extends Options>(cmd: string, help: string, argv: string[], options: O, positionals: { min: number; max: number; names: string }): Parsed<O> {
  const hTaken = Object.values(options).some((o) => o.short === "h");
  const config = { args: argv, options: { ...options, ...(hTaken ? LONG_HELP_OPTION : HELP_OPTION) }, strict: true, allowPositionals: true } as const;
  let r: Parsed<O>;
  try {
    r = parseArgs(config) as unknown as Parsed<O>;
  } catch (e) {
    // Node's messages go on with advice about "--"; the first sentence names the problem.
    const first = (e instanceof Error ? e.message : String(e)).split(/\.\s/)[0]!.replace(/\.$/, "");
    usageError(cmd, help, first.charAt(0).toLowerCase() + first.slice(1));
  }
  if ((r.values as { help?: boolean }).help === true) { process.stdout.write(help + "\n"); process.exit(0); }
  const n = r.positionals.length;
  if (n < positionals.min) usageError(cmd, help, `${cmd} needs a ${positionals.names}`);
  if (n > positionals.max) usageError(cmd, help, `unexpected argument "${r.positionals[positionals.max]}"`);
  return r;
}

/** An integer option within [min, max], or `def` when absent; a usage error otherwise. */
export function intOption(cmd: string, help: string, name: string, v: string | undefined, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!(n >= min && n <= max)) usageError(cmd, help, `bad ${name} "${v}": expected an integer from ${min} to ${max}`);
  return n;
}
