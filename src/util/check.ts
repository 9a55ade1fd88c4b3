// Option checks shared by every layer: a wrong type or range throws where the option is
// given, naming the option and what is allowed.
import { optionError } from "./errors.js";

/** An integer >= 1, or the default when undefined. */
export function optPositiveInt(o: object, name: string, def: number): number {
  const v = (o as Record<string, unknown>)[name];
  if (v === undefined) return def;
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw optionError(name, "a positive integer", v);
  return v;
}

/** An integer >= 0, or the default when undefined. */
export function optNonNegativeInt(o: object, name: string, def: number): number {
  const v = (o as Record<string, unknown>)[name];
  if (v === undefined) return def;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw optionError(name, "a non-negative integer", v);
  return v;
}

/** An integer in [min, max], or the default when undefined. */
export function optIntIn(o: object, name: string, def: number, min: number, max: number): number {
  const v = (o as Record<string, unknown>)[name];
  if (v === undefined) return def;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw optionError(name, `an integer from ${min} to ${max}`, v);
  return v;
}

/** A boolean, or the default when undefined. */
export function optBool(o: object, name: string, def: boolean): boolean {
  const v = (o as Record<string, unknown>)[name];
  if (v === undefined) return def;
  if (typeof v !== "boolean") throw optionError(name, "true or false", v);
  return v;
}

/** One of `allowed`, or the default when undefined. */
export function optOneOf<T extends string>(o: object, name: string, def: T, allowed: readonly T[]): T {
  const v = (o as Record<string, unknown>)[name];
  if (v === undefined) return def;
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) throw optionError(name, allowed.map((a) => JSON.stringify(a)).join(" or "), v);
  return v as T;
}

/** A function, or undefined. */
export function optFunction<F>(o: object, name: string): F | undefined {
  const v = (o as Record<string, unknown>)[name];
  if (v === undefined) return undefined;
  if (typeof v !== "function") throw optionError(name, "a function", v);
  return v as F;
}

/** Throws when `o` is given but is not a plain options object. */
export function checkOptionsObject(o: unknown, what: string): void {
  if (o !== undefined && (o === null || typeof o !== "object" || Array.isArray(o))) throw optionError(what, "an options object", o);
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
