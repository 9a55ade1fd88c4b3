// Option checks shared by every layer: a wrong type or range throws where the option is
// given, naming the option and what is allowed. `where` (optional) prefixes the message
// with the entry point ("MqttBroker: option ..."). Option names may be paths into nested
// options ("will.topic"). Entry points with several options describe them in a table
// (OptionTable) run by checkOptionTable().
import { optionError } from "./errors.js";

/** The value of option `name` of `o`; a dotted name ("will.topic") reads a nested option. */
function valueOf(o: object, name: string): unknown {
  if (!name.includes(".")) return (o as Record<string, unknown>)[name];
  let v: unknown = o;
  for (const k of name.split(".")) v = v === null || typeof v !== "object" ? undefined : (v as Record<string, unknown>)[k];
  return v;
}

/** An integer >= 1, or the default when undefined. */
export function optPositiveInt(o: object, name: string, def: number, where?: string): number {
  const v = valueOf(o, name);
  if (v === undefined) return def;
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw optionError(name, "a positive integer", v, where);
  return v;
}

/** An integer >= 0, or the default when undefined. */
export function optNonNegativeInt(o: object, name: string, def: number, where?: string): number {
  const v = valueOf(o, name);
  if (v === undefined) return def;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw optionError(name, "a non-negative integer", v, where);
  return v;
}

/** An integer in [min, max], or the default when undefined. */
export function optIntIn(o: object, name: string, def: number, min: number, max: number, where?: string): number {
  const v = valueOf(o, name);
  if (v === undefined) return def;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw optionError(name, `an integer from ${min} to ${max}`, v, where);
  return v;
}

/** A boolean, or the default when undefined. */
export function optBool(o: object, name: string, def: boolean, where?: string): boolean {
  const v = valueOf(o, name);
  if (v === undefined) return def;
  if (typeof v !== "boolean") throw optionError(name, "true or false", v, where);
  return v;
}

/** One of `allowed`, or the default when undefined. */
export function optOneOf<T extends string>(o: object, name: string, def: T, allowed: readonly T[], where?: string): T {
  const v = valueOf(o, name);
  if (v === undefined) return def;
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) throw optionError(name, allowed.map((a) => JSON.stringify(a)).join(" or "), v, where);
  return v as T;
}

/** A function, or undefined. */
export function optFunction<F>(o: object, name: string, where?: string): F | undefined {
  const v = valueOf(o, name);
  if (v === undefined) return undefined;
  if (typeof v !== "function") throw optionError(name, "a function", v, where);
  return v as F;
}

/** A plain object (not null, not an array, not a function). */
function isObject(v: unknown): boolean {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Throws when `o` is given but is not a plain options object. */
export function checkOptionsObject(o: unknown, what: string): void {
  if (o !== undefined && !isObject(o)) throw optionError(what, "an options object", o);
}

// ---- tables of options ----------------------------------------------------------------

/** Checks option `name` of `o` (undefined: absent, unless required); throws ERR_INVALID_OPTION naming it. */
export type OptionCheck = (o: object, name: string, where?: string) => void;

/** The options of one entry point: each name (or "parent.child" path) with its check, run in order. */
export type OptionTable = Readonly<Record<string, OptionCheck>>;

/** A check of what an option's value may be: `allowed` says it in the message. */
export function optionKind(allowed: string, ok: (v: unknown) => boolean, required = false): OptionCheck {
  return (o, name, where) => {
    const v = valueOf(o, name);
    if (v === undefined ? required : !ok(v)) throw optionError(name, allowed, v, where);
  };
}

const isString = (v: unknown): boolean => typeof v === "string";
const isBytes = (v: unknown): boolean => typeof v === "string" || v instanceof Uint8Array;

/** The checks tables are made of; each leaves an absent (undefined) option alone unless it says required. */
export const is = {
  function: optionKind("a function", (v) => typeof v === "function"),
  boolean: ((o, n, w) => { optBool(o, n, false, w); }) as OptionCheck,
  string: optionKind("a string", isString),
  requiredString: optionKind("a string", isString, true),
  /** A string (UTF-8) or a Uint8Array. */
  bytes: optionKind("a string or a Uint8Array", isBytes),
  requiredBytes: optionKind("a string or a Uint8Array", isBytes, true),
  object: optionKind("an object", isObject),
  array: optionKind("an array", Array.isArray),
  /** HeadersInit: an object, a list of [name, value] pairs, or "Name: value" lines (null: none, as formatHeaders takes it). */
  headers: optionKind('an object { name: value }, a list of [name, value] pairs or "Name: value" lines', (v) => v === null || isString(v) || Array.isArray(v) || isObject(v)),
  positiveInt: ((o, n, w) => { optPositiveInt(o, n, 1, w); }) as OptionCheck,
  nonNegativeInt: ((o, n, w) => { optNonNegativeInt(o, n, 0, w); }) as OptionCheck,
  intIn: (min: number, max: number): OptionCheck => (o, n, w) => { optIntIn(o, n, min, min, max, w); },
};

/**
 * Runs every check of `table` on `o`, in the table's order. A "parent.child" entry is
 * skipped when the parent option is absent (its own entry, earlier, checks its type).
 */
export function checkOptionTable(o: object, table: OptionTable, where?: string): void {
  for (const name in table) {
    const dot = name.lastIndexOf(".");
    if (dot > 0 && valueOf(o, name.slice(0, dot)) === undefined) continue;
    table[name]!(o, name, where);
  }
}

/**
 * The `(url, handlerOrOpts?, opts?)` arguments of listen/connect/wsConnect/...: the
 * handler (when the second argument is a function) and the options merged, both checked.
 */
export function splitHandlerArgs<H, O extends object>(a: H | O | undefined, b: O | undefined, what: string): [H | undefined, O] {
  checkOptionsObject(b, `${what} options`);
  if (typeof a === "function") return [a as H, b ?? ({} as O)];
  checkOptionsObject(a, `${what} options`);
  return [undefined, { ...((a as O | undefined) ?? {}), ...(b ?? {}) } as O];
}
