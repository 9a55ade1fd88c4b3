import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Rpc, RpcReq, jsonGetNum, logGet, logSet, MG_LL_NONE,
  RPC_PARSE_ERROR, RPC_INVALID_REQUEST, RPC_METHOD_NOT_FOUND, RPC_INVALID_PARAMS, RPC_INTERNAL_ERROR,
} from "../../src/index.js";
import { leakCheckAfterAll } from "../helpers.js";

function sumRpc(): Rpc {
  const rpc = new Rpc();
  rpc.add("sum", (r) => {
    const a = jsonGetNum(r.frame, "$.params[0]"), b = jsonGetNum(r.frame, "$.params[1]");
    if (a === undefined || b === undefined) r.err(RPC_INVALID_PARAMS, "expected two numbers");
    else r.ok(String(a + b));
  });
  return rpc;
}

const parse = (s: string): unknown => JSON.parse(s);

test("a request gets a result response with the same id", () => {
  const rpc = sumRpc();
  assert.deepEqual(parse(rpc.process('{"jsonrpc":"2.0","id":1,"method":"sum","params":[2,3]}')), { jsonrpc: "2.0", id: 1, result: 5 });
  assert.deepEqual(parse(rpc.process('{"id":"abc","method":"sum","params":[1,1]}')), { jsonrpc: "2.0", id: "abc", result: 2 });
  // The id is echoed exactly as sent.
  assert.equal(rpc.process('{"id": 1.50, "method":"sum","params":[0,0]}'), '{"jsonrpc":"2.0","id":1.50,"result":0}');
  assert.deepEqual(parse(rpc.process('{"id":null,"method":"sum","params":[1,2]}')), { jsonrpc: "2.0", id: null, result: 3 });
});

test("frames may be bytes", () => {
  const rpc = sumRpc();
  assert.deepEqual(parse(rpc.process(Buffer.from('{"id":7,"method":"sum","params":[4,4]}'))), { jsonrpc: "2.0", id: 7, result: 8 });
  assert.deepEqual(parse(rpc.process(new Uint8Array(Buffer.from('{"id":8,"method":"sum","params":[1,4]}')))), { jsonrpc: "2.0", id: 8, result: 5 });
  // Anything else is a parse error, not an exception.
  assert.equal((parse(rpc.process(42 as unknown as string)) as { error: { code: number } }).error.code, RPC_PARSE_ERROR);
});

test("the handler sees method, params, id, frame and userdata", () => {
  const rpc = new Rpc();
  let seen: RpcReq | undefined;
  rpc.add("echo", (r) => { seen = r; r.ok(r.params ?? "null"); });
  const frame = '{"id": 9, "method": "echo", "params": {"x": [1, 2]}}';
  const ctx = { conn: 1 };
  assert.deepEqual(parse(rpc.process(frame, ctx)), { jsonrpc: "2.0", id: 9, result: { x: [1, 2] } });
  assert.ok(seen instanceof RpcReq);
  assert.equal(seen.method, "echo");
  assert.equal(seen.params, '{"x": [1, 2]}');
  assert.equal(seen.id, "9");
  assert.equal(seen.frame, frame);
  assert.equal(seen.userdata, ctx);
  assert.equal(seen.rpc, rpc);
  assert.equal(seen.responded, true);
  rpc.process('{"id": 1, "method": "echo"}');
  assert.equal(seen.params, undefined);
});

test("handler errors are returned with code and message (and optional data)", () => {
  const rpc = sumRpc();
  assert.deepEqual(parse(rpc.process('{"id":2,"method":"sum","params":["a"]}')),
    { jsonrpc: "2.0", id: 2, error: { code: RPC_INVALID_PARAMS, message: "expected two numbers" } });
  rpc.add("fail", (r) => r.err(42, 'bad "thing"\n', '{"why": 1}'));
  assert.deepEqual(parse(rpc.process('{"id":3,"method":"fail"}')),
    { jsonrpc: "2.0", id: 3, error: { code: 42, message: 'bad "thing"\n', data: { why: 1 } } });
});

test("an unknown method is -32601", () => {
  const rpc = sumRpc();
  const r = parse(rpc.process('{"id":4,"method":"nope"}')) as { id: number; error: { code: number; message: string } };
  assert.equal(r.id, 4);
  assert.equal(r.error.code, RPC_METHOD_NOT_FOUND);
  assert.match(r.error.message, /nope/);
});

test("malformed JSON is -32700 with a null id", () => {
  const rpc = sumRpc();
  for (const bad of ['{"id":1,"method":"sum"', "", "nonsense", "{'id':1}"]) {
    assert.deepEqual(parse(rpc.process(bad)), { jsonrpc: "2.0", id: null, error: { code: RPC_PARSE_ERROR, message: "Parse error" } }, bad);
  }
});

test("invalid requests are -32600", () => {
  const rpc = sumRpc();
  const cases: [string, unknown][] = [
    ["1", null], ['"sum"', null], ["{}", null], ['{"id":1}', 1], ['{"id":1,"method":5}', 1],
    ['{"id":1,"method":"sum","params":3}', 1], ['{"id":1,"jsonrpc":"1.0","method":"sum"}', 1],
    ['{"id":{"a":1},"method":"sum"}', null], ['{"id":[1],"method":"sum"}', null], ['{"method":1}', null], ["[]", null],
  ];
  for (const [frame, id] of cases) {
    const r = parse(rpc.process(frame)) as { id: unknown; error: { code: number } };
    assert.equal(r.error.code, RPC_INVALID_REQUEST, frame);
    assert.equal(r.id, id, frame);
  }
});

test("notifications run but get no response, even when the method is unknown", () => {
  const rpc = new Rpc();
  let calls = 0;
  rpc.add("tick", (r) => { calls++; r.ok("true"); });
  assert.equal(rpc.process('{"jsonrpc":"2.0","method":"tick"}'), "");
  assert.equal(rpc.process('{"method":"tick","params":[1]}'), "");
  assert.equal(calls, 2);
  assert.equal(rpc.process('{"method":"unknown"}'), "");
});

test("batches return an array of the responses, without those of notifications", () => {
  const rpc = sumRpc();
  rpc.add("note", (r) => r.ok("null"));
  const out = parse(rpc.process('[{"id":1,"method":"sum","params":[1,2]}, {"method":"note"}, {"id":2,"method":"x"}, 5, {"id":3,"method":"sum","params":[3,3]}]')) as { id: unknown; error?: { code: number } }[];
  assert.equal(out.length, 4);
  assert.deepEqual(out[0], { jsonrpc: "2.0", id: 1, result: 3 });
  assert.equal(out[1]!.error?.code, RPC_METHOD_NOT_FOUND);
  assert.equal(out[2]!.error?.code, RPC_INVALID_REQUEST);
  assert.deepEqual(out[3], { jsonrpc: "2.0", id: 3, result: 6 });
  assert.equal(rpc.process('[{"method":"note"},{"method":"note"}]'), "");
});

test("a handler that throws or does not answer gives -32603; the loop goes on", () => {
  const rpc = new Rpc();
  rpc.add("boom", () => { throw new Error("kaput"); });
  rpc.add("silent", () => undefined);
  const level = logGet();
  logSet(MG_LL_NONE);
  try {
    const r = parse(rpc.process('{"id":1,"method":"boom"}')) as { error: { code: number; message: string } };
    assert.equal(r.error.code, RPC_INTERNAL_ERROR);
    assert.doesNotMatch(r.error.message, /kaput/, "exception text is not leaked to the peer");
  } finally {
    logSet(level);
  }
  assert.equal((parse(rpc.process('{"id":2,"method":"silent"}')) as { error: { code: number } }).error.code, RPC_INTERNAL_ERROR);
});

test("only the first answer counts; ok() refuses text that is not JSON", () => {
  const rpc = new Rpc();
  rpc.add("twice", (r) => { r.ok("1"); r.ok("2"); r.err(5, "late"); });
  assert.deepEqual(parse(rpc.process('{"id":1,"method":"twice"}')), { jsonrpc: "2.0", id: 1, result: 1 });
  let thrown: unknown;
  rpc.add("bad", (r) => { try { r.ok("{not json"); } catch (e) { thrown = e; r.ok('"fallback"'); } });
  assert.deepEqual(parse(rpc.process('{"id":1,"method":"bad"}')), { jsonrpc: "2.0", id: 1, result: "fallback" });
  assert.ok(thrown instanceof Error);
});

test("method names may be glob patterns; exact names win, then the order of add()", () => {
  const rpc = new Rpc();
  rpc.add("sys.*", (r) => r.ok('"pattern"'));
  rpc.add("sys.info", (r) => r.ok('"exact"'));
  rpc.add("#", (r) => r.ok(JSON.stringify("catch-all " + r.method)));
  assert.deepEqual(parse(rpc.process('{"id":1,"method":"sys.info"}')), { jsonrpc: "2.0", id: 1, result: "exact" });
  assert.deepEqual(parse(rpc.process('{"id":1,"method":"sys.reboot"}')), { jsonrpc: "2.0", id: 1, result: "pattern" });
  assert.deepEqual(parse(rpc.process('{"id":1,"method":"fs/ls"}')), { jsonrpc: "2.0", id: 1, result: "catch-all fs/ls" });
});

test("methods lists registrations; add replaces, del removes; Rpc.list answers with them", () => {
  const rpc = new Rpc();
  rpc.add("a", (r) => r.ok("1"));
  rpc.add("b", (r) => r.ok("2"));
  rpc.add("a", (r) => r.ok("3"));
  assert.deepEqual(rpc.methods, ["a", "b"]);
  assert.deepEqual(parse(rpc.process('{"id":1,"method":"a"}')), { jsonrpc: "2.0", id: 1, result: 3 });
  rpc.add("rpc.list", Rpc.list);
  assert.deepEqual(parse(rpc.process('{"id":1,"method":"rpc.list"}')), { jsonrpc: "2.0", id: 1, result: ["a", "b", "rpc.list"] });
  assert.equal(rpc.del("b"), true);
  assert.equal(rpc.del("b"), false);
  assert.deepEqual(rpc.methods, ["a", "rpc.list"]);
  assert.equal((parse(rpc.process('{"id":1,"method":"b"}')) as { error: { code: number } }).error.code, RPC_METHOD_NOT_FOUND);
});

test("add() checks its arguments", () => {
  const rpc = new Rpc();
  assert.throws(() => rpc.add("", () => undefined));
  assert.throws(() => rpc.add("x", "nope" as unknown as () => void));
});

test("a method name over maxMethodSize is -32601 without being matched; add() refuses one", () => {
  const rpc = new Rpc();
  let calls = 0;
  rpc.add("#", (r) => { calls++; r.ok(String(Buffer.byteLength(r.method))); });
  const req = (name: string, id = "1"): string => `{"id":${id},"method":${JSON.stringify(name)}}`;
  const code = (out: string): number | undefined => (parse(out) as { error?: { code: number } }).error?.code;
  // 256 bytes is the default: up to it the catch-all answers, past it nothing is called.
  assert.deepEqual(parse(rpc.process(req("m".repeat(256)))), { jsonrpc: "2.0", id: 1, result: 256 });
  assert.equal(code(rpc.process(req("m".repeat(257)))), RPC_METHOD_NOT_FOUND);
  // Bytes, not characters: 128 two-byte characters fit, 129 do not; escapes count decoded.
  assert.deepEqual(parse(rpc.process(req("é".repeat(128)))), { jsonrpc: "2.0", id: 1, result: 256 });
  assert.equal(code(rpc.process(req("é".repeat(129)))), RPC_METHOD_NOT_FOUND);
  assert.deepEqual(parse(rpc.process(`{"id":1,"method":"${"\\u00e9".repeat(128)}"}`)), { jsonrpc: "2.0", id: 1, result: 256 });
  assert.equal(code(rpc.process(`{"id":1,"method":"${"\\u00e9".repeat(129)}"}`)), RPC_METHOD_NOT_FOUND);
  // An 8 MiB name: refused, the message does not echo it, and a notification gets nothing.
  const huge = rpc.process(req("x".repeat(8 * 2 ** 20), '"big"'));
  assert.ok(huge.length < 200, `${huge.length} bytes of response`);
  assert.deepEqual(parse(huge), { jsonrpc: "2.0", id: "big", error: { code: RPC_METHOD_NOT_FOUND, message: "Method not found: method name longer than 256 bytes" } });
  assert.equal(rpc.process(`{"method":${JSON.stringify("x".repeat(300))}}`), "");
  assert.equal(calls, 3);
  assert.throws(() => rpc.add("y".repeat(257), (r) => r.ok("1")), { code: "ERR_INVALID_ARG" });

  const small = new Rpc({ maxMethodSize: 4 });
  small.add("ab.*", (r) => r.ok('"hit"'));
  assert.deepEqual(parse(small.process(req("ab.c"))), { jsonrpc: "2.0", id: 1, result: "hit" });
  assert.equal(code(small.process(req("ab.cd"))), RPC_METHOD_NOT_FOUND);
  assert.throws(() => small.add("abcde", (r) => r.ok("1")), { code: "ERR_INVALID_ARG" });
});

test("a frame over maxFrameSize is -32600 with a null id, without being parsed", () => {
  const rpc = new Rpc({ maxFrameSize: 64 });
  rpc.add("a", (r) => r.ok("1"));
  const shell = '{"id":1,"method":"a","params":[""]}';
  const fits = shell.replace('""', `"${"p".repeat(64 - shell.length)}"`);
  assert.equal(Buffer.byteLength(fits), 64);
  assert.deepEqual(parse(rpc.process(fits)), { jsonrpc: "2.0", id: 1, result: 1 });
  const over = fits.replace('"p', '"pp');
  for (const frame of [over, Buffer.from(over), shell.replace('""', `"${"é".repeat(16)}"`)]) {
    const r = parse(rpc.process(frame)) as { id: unknown; error: { code: number; message: string } };
    assert.equal(r.id, null);
    assert.equal(r.error.code, RPC_INVALID_REQUEST);
    assert.match(r.error.message, /larger than 64 bytes/);
  }
  // Even text that is not JSON: it is not looked at.
  assert.equal((parse(rpc.process("{".repeat(65))) as { error: { code: number } }).error.code, RPC_INVALID_REQUEST);
  assert.equal((parse(rpc.process("{".repeat(64))) as { error: { code: number } }).error.code, RPC_PARSE_ERROR);
});

test("Rpc options are checked", () => {
  for (const bad of [{ maxMethodSize: 0 }, { maxMethodSize: 1.5 }, { maxFrameSize: -1 }, { maxFrameSize: "1" }, null, 5]) {
    assert.throws(() => new Rpc(bad as never), { code: "ERR_INVALID_OPTION" }, JSON.stringify(bad));
  }
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
