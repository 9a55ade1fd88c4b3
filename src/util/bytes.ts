// Conversions between the input types the API accepts and Buffer.
import { Buffer } from "node:buffer"; // the module's binding: the global Buffer is a getter, called at each use
import { MgError, typeError, rangeError } from "./errors.js";

/** Strings become UTF-8; Uint8Arrays are viewed without copying. */
export function toBuffer(data: string | Uint8Array): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw typeError(`expected a string or Uint8Array, got ${data === null ? "null" : typeof data}`);
}

/** Byte length of a string (UTF-8) or Uint8Array. */
export function byteLength(data: string | Uint8Array): number {
  return typeof data === "string" ? Buffer.byteLength(data, "utf8") : data.byteLength;
}
