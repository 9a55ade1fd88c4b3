// JSON-RPC 2.0 dispatch in the manner of Mongoose's mg_rpc: methods are registered by
// name (or glob pattern, see match()), `process(frame)` takes a request and returns the
// response text, and a handler answers with `req.ok(resultJson)` or `req.err(code, msg)`.
// Error codes and shapes follow the JSON-RPC 2.0 specification, section 5.1.
import { jsonParts, type JsonInput, type JsonParts } from "./json.js";
import { match } from "./match.js";
import { logError } from "./log.js";
import { MgError } from "./errors.js";
import { checkOptionsObject, optPositiveInt } from "./check.js";

/** Default cap on a method name, in UTF-8 bytes (RpcOptions.maxMethodSize). */
export const RPC_DEFAULT_MAX_METHOD_SIZE = 256;
/** Default cap on a frame, in bytes (RpcOptions.maxFrameSize): the WebSocket message default. */
export const RPC_DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;

/** Limits on what `Rpc.process` parses and matches. */
export interface RpcOptions {
  /**
   * Longest method name, in UTF-8 bytes (default 256). A request naming a longer method
   * gets -32601 "Method not found" without the name being decoded in full or matched
   * against any pattern, and `add()` refuses longer names.
   */
  maxMethodSize?: number;
  /**
   * Largest frame, in bytes (default 16 MiB). A longer frame gets -32600 "Invalid Request"
   * (id null) without being parsed.
   */
  maxFrameSize?: number;
}

/** Invalid JSON was received. */
export const RPC_PARSE_ERROR = -32700;
/** The JSON sent is not a valid Request object. */
export const RPC_INVALID_REQUEST = -32600;
/** The method does not exist. */
export const RPC_METHOD_NOT_FOUND = -32601;
/** Invalid method parameters (for handlers to use). */
export const RPC_INVALID_PARAMS = -32602;
/** Internal JSON-RPC error (a handler threw, or returned without answering). */
export const RPC_INTERNAL_ERROR = -32603;

/** A method implementation: it answers with `req.ok(...)` or `req.err(...)` before returning. */
export type RpcHandler = (req: RpcReq) => void;

function errorText(id: string | undefined, code: number, message: string, data?: string): string {
  const extra = data === undefined ? "" : `,"data":${data}`;
  return `{"jsonrpc":"2.0","id":${id ?? "null"},"error":{"code":${code},"message":${JSON.stringify(message)}${extra}}}`;
}

function isJson(text: string): boolean { return jsonParts(text) !== undefined; }

/** One request being handled. */
export class RpcReq {
  /** The dispatcher that received the request (Rpc.list uses it). */
  readonly rpc: Rpc;
  /** The request's JSON text (for a batch, this element's text). */
  readonly frame: string;
  /** The method name the caller asked for. */
  readonly method: string;
  /** Raw JSON text of `params` (an array or object), or undefined when absent. */
  readonly params: string | undefined;
  /** Raw JSON text of `id`, or undefined for a notification (which gets no response). */
  readonly id: string | undefined;
  /** Whatever was passed to `rpc.process(frame, userdata)`. */
  readonly userdata: unknown;
  #response: string | undefined;
  #done = false;

  /** @internal Built by Rpc.process. */
  constructor(rpc: Rpc, frame: string, method: string, params: string | undefined, id: string | undefined, userdata: unknown) {
    this.rpc = rpc; this.frame = frame; this.method = method; this.params = params; this.id = id; this.userdata = userdata;
  }

  /** True once ok() or err() was called. */
  get responded(): boolean { return this.#done; }

  /** @internal The response text ("" for notifications). */
  get response(): string { return this.id === undefined ? "" : this.#response ?? ""; }

  /**
   * Answers with a result given as JSON text: `req.ok("42")`, `req.ok(JSON.stringify(obj))`.
   * Throws when the text is not valid JSON. Only the first answer counts.
   */
  ok(json: string): void {
    if (typeof json !== "string" || !isJson(json)) throw new MgError("ERR_INVALID_ARG", `RpcReq.ok: result must be JSON text, got ${String(json).slice(0, 60)}`);
    if (this.#done) return;
    this.#done = true;
    if (this.id !== undefined) this.#response = `{"jsonrpc":"2.0","id":${this.id},"result":${json}}`;
  }

  /**
   * Answers with an error: `req.err(RPC_INVALID_PARAMS, "expected two numbers")`. `data`,
   * when given, is JSON text added as the error's "data" member. Only the first answer counts.
   */
  err(code: number, message: string, data?: string): void {
    if (!Number.isInteger(code)) throw new MgError("ERR_INVALID_ARG", `RpcReq.err: code must be an integer, got ${code}`);
    if (data !== undefined && !isJson(data)) throw new MgError("ERR_INVALID_ARG", "RpcReq.err: data must be JSON text");
    if (this.#done) return;
    this.#done = true;
    if (this.id !== undefined) this.#response = errorText(this.id, code, String(message), data);
  }
}

interface Entry { method: string; fn: RpcHandler }

/** A JSON-RPC 2.0 dispatcher. */
export class Rpc {
  private readonly entries: Entry[] = [];
  readonly #maxMethod: number;
  readonly #maxFrame: number;

  /** `new Rpc({ maxMethodSize, maxFrameSize })`; both limits have defaults (RpcOptions). */
  constructor(options: RpcOptions = {}) {
    checkOptionsObject(options, "Rpc options");
    this.#maxMethod = optPositiveInt(options, "maxMethodSize", RPC_DEFAULT_MAX_METHOD_SIZE);
    this.#maxFrame = optPositiveInt(options, "maxFrameSize", RPC_DEFAULT_MAX_FRAME_SIZE);
  }

  /**
   * Registers `fn` for `method`. The name may be a glob (`"sys.*"`); a method name that
   * equals a registered name exactly is preferred, then patterns are tried in the order
   * they were added. Adding a name again replaces its handler.
   */
  add(method: string, fn: RpcHandler): void {
    if (typeof method !== "string" || method === "") throw new MgError("ERR_INVALID_ARG", "Rpc.add: method must be a non-empty string");
    if (typeof fn !== "function") throw new MgError("ERR_INVALID_ARG", "Rpc.add: handler must be a function");
    if (Buffer.byteLength(method) > this.#maxMethod) {
      throw new MgError("ERR_INVALID_ARG", `Rpc.add: method name longer than maxMethodSize (${this.#maxMethod} bytes)`);
    }
    const e = this.entries.find((x) => x.method === method);
    if (e) e.fn = fn;
    else this.entries.push({ method, fn });
  }

  /** Removes a method; returns whether it was registered. */
  del(method: string): boolean {
    const i = this.entries.findIndex((x) => x.method === method);
    if (i >= 0) this.entries.splice(i, 1);
    return i >= 0;
  }

  /** The registered method names and patterns, in the order they were added. */
  get methods(): string[] { return this.entries.map((e) => e.method); }

  /**
   * Handles one JSON-RPC frame (a request, a notification, or a batch array) and returns
   * the response text: "" when nothing must be sent back (notifications, or a batch of
   * them). Malformed frames get the specification's error responses, never an exception.
   */
  process(frame: JsonInput, userdata?: unknown): string {
    // The size is checked before anything is decoded or parsed: a string has at least as
    // many UTF-8 bytes as UTF-16 units, and at most three per unit.
    const max = this.#maxFrame;
    if (typeof frame === "string"
      ? frame.length > max || (frame.length * 3 > max && Buffer.byteLength(frame) > max)
      : frame instanceof Uint8Array && frame.byteLength > max) {
      return errorText(undefined, RPC_INVALID_REQUEST, `Invalid Request: frame larger than ${max} bytes`);
    }
    const text = typeof frame === "string" ? frame
      : frame instanceof Uint8Array ? Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString("utf8") : "";
    const parts = jsonParts(text);
    if (!parts) return errorText(undefined, RPC_PARSE_ERROR, "Parse error");
    if (parts.kind !== "array") return this.one(text, parts, userdata);
    if (parts.values.length === 0) return errorText(undefined, RPC_INVALID_REQUEST, "Invalid Request: empty batch");
    const out: string[] = [];
    for (const v of parts.values) {
      const r = this.one(v, jsonParts(v)!, userdata);
      if (r) out.push(r);
    }
    return out.length ? `[${out.join(",")}]` : "";
  }

  /**
   * A ready-made handler that answers with the list of methods, like Mongoose's
   * mg_rpc_list: `rpc.add("rpc.list", Rpc.list)`.
   */
  static list(req: RpcReq): void { req.ok(JSON.stringify(req.rpc.methods)); }

  private find(name: string): Entry | undefined {
    return this.entries.find((e) => e.method === name) ?? this.entries.find((e) => match(name, e.method)[0]);
  }

  private tooLong(id: string | undefined): string {
    return id === undefined ? "" : errorText(id, RPC_METHOD_NOT_FOUND, `Method not found: method name longer than ${this.#maxMethod} bytes`);
  }

  private one(frame: string, parts: JsonParts, userdata: unknown): string {
    if (parts.kind !== "object") return errorText(undefined, RPC_INVALID_REQUEST, "Invalid Request: not an object");
    const member = (k: string): string | undefined => {
      const i = parts.keys.indexOf(k);
      return i < 0 ? undefined : parts.values[i];
    };
    const id = member("id");
    // An id is a string, a number or null (section 4); anything else makes the id unknown.
    if (id !== undefined && !(id[0] === '"' || id === "null" || id[0] === "-" || (id[0]! >= "0" && id[0]! <= "9"))) {
      return errorText(undefined, RPC_INVALID_REQUEST, "Invalid Request: bad id");
    }
    const version = member("jsonrpc");
    const method = member("method");
    const params = member("params");
    // Mongoose's clients omit "jsonrpc", so it is optional; when present it must be "2.0".
    if (version !== undefined && version !== '"2.0"') {
      return errorText(id, RPC_INVALID_REQUEST, 'Invalid Request: jsonrpc must be "2.0"');
    }
    if (method === undefined || method[0] !== '"') return errorText(id, RPC_INVALID_REQUEST, "Invalid Request: method must be a string");
    if (params !== undefined && params[0] !== "[" && params[0] !== "{") {
      return errorText(id, RPC_INVALID_REQUEST, "Invalid Request: params must be an array or object");
    }
    // A name over the cap is refused before JSON.parse decodes it or a pattern scans it.
    // Each UTF-8 byte of the name takes at least one character of JSON text and at most
    // six ("\u00e9" is 2 bytes), so text over 6 x the cap is too long undecoded.
    const maxName = this.#maxMethod;
    if (method.length - 2 > 6 * maxName) return this.tooLong(id);
    const name = JSON.parse(method) as string;
    if (name.length > maxName || (name.length * 3 > maxName && Buffer.byteLength(name) > maxName)) return this.tooLong(id);
    const entry = this.find(name);
    if (!entry) return id === undefined ? "" : errorText(id, RPC_METHOD_NOT_FOUND, `Method not found: ${name}`);
    const req = new RpcReq(this, frame, name, params, id, userdata);
    try {
      entry.fn(req);
    } catch (e) {
      logError(`rpc: method ${name} threw:`, e);
      req.err(RPC_INTERNAL_ERROR, "Internal error");
    }
    if (!req.responded) req.err(RPC_INTERNAL_ERROR, "Internal error: method returned no response");
    return req.response;
  }
}
