// Type-level tests: this file must compile. Checking `ev` narrows `data`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import {
  MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_POLL, MG_EV_READ, MG_EV_WS_MSG, MG_EV_MQTT_OPEN, MG_EV_WAKEUP,
  MG_EV_CLOSE, MG_EV_USER, MG_EV_SNTP_TIME, MG_EV_MQTT_MSG,
  type EventHandler, type EventArgs, type EventNumber, type Connection, type HttpMessage, type WsMessage, type MqttMessage,
} from "../../src/index.js";
import { leakCheckAfterAll } from "../helpers.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function expectType<T extends true>(_v?: T): void { /* compile-time only */ }

export const handler: EventHandler = (conn, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) {
    expectType<Equal<typeof data, HttpMessage>>();
    const m: string = data.method;
    void m;
  } else if (ev === MG_EV_ERROR) {
    expectType<Equal<typeof data, string>>();
  } else if (ev === MG_EV_POLL || ev === MG_EV_READ || ev === MG_EV_MQTT_OPEN || ev === MG_EV_SNTP_TIME) {
    expectType<Equal<typeof data, number>>();
  } else if (ev === MG_EV_WS_MSG) {
    expectType<Equal<typeof data, WsMessage>>();
  } else if (ev === MG_EV_MQTT_MSG) {
    expectType<Equal<typeof data, MqttMessage>>();
  } else if (ev === MG_EV_WAKEUP) {
    expectType<Equal<typeof data, Buffer>>();
  } else if (ev === MG_EV_CLOSE) {
    expectType<Equal<typeof data, undefined>>();
  } else if (ev === MG_EV_USER + 1) {
    expectType<Equal<typeof data, unknown>>();
  }
  void conn;
};

export const switchHandler: EventHandler = (_c, ev, data) => {
  switch (ev) {
    case MG_EV_HTTP_MSG: data.header("Host"); break;
    case MG_EV_READ: data.toFixed(); break;
  }
};

// Handlers may declare one, two or three parameters (API.md), or take them as a rest.
export const noParams: EventHandler = () => {};
export const oneParam: EventHandler = (conn) => { expectType<Equal<typeof conn, Connection>>(); };
export const twoParams: EventHandler = (conn, ev) => {
  expectType<Equal<typeof conn, Connection>>();
  expectType<Equal<typeof ev, EventNumber>>();
  if (ev === MG_EV_CLOSE) conn.userdata = undefined;
};
export const annotated: EventHandler = (conn: Connection, ev: number) => { void conn; void ev; };
export const dataUnknown: EventHandler = (_c: Connection, _ev: number, data: unknown) => { void data; };
export const rest: EventHandler = (...args) => {
  const [c, ev, data] = args;
  if (ev === MG_EV_HTTP_MSG) {
    expectType<Equal<typeof data, HttpMessage>>();
    c.reply(200, data.uri);
  }
};
// A handler that wraps another forwards its arguments, whole or one by one.
export const wrapper: EventHandler = (...args) => { rest(...args); twoParams(...args); };
export const wrapper3: EventHandler = (c, ev, data) => { if (ev === MG_EV_READ) handler(c, ev, data); };
expectType<Equal<Parameters<EventHandler>, EventArgs>>();

// @ts-expect-error the first parameter is the Connection
export const wrongConn: EventHandler = (_c: string) => {};
// @ts-expect-error ev is a number
export const wrongEv: EventHandler = (_c, _ev: string) => {};
// @ts-expect-error data declared with a type no event delivers
export const wrongData: EventHandler = (_c, _ev, _data: Date) => {};
// @ts-expect-error at most three parameters
export const tooLong: EventHandler = (_c, _ev, _data, _more) => {};
// @ts-expect-error calls are checked against the event table
export const wrongCall = (c: Connection): void => handler(c, MG_EV_READ, "text");

// @ts-expect-error data is not narrowed to HttpMessage for READ
export const wrong: EventHandler = (_c, ev, data) => { if (ev === MG_EV_READ) data.method; };

test("the EventHandler type narrows data by event (compile-time)", () => {
  assert.equal(typeof handler, "function");
});

// What a user sees for a wrong handler: the compiler's messages name public types only.
test("errors for wrong handlers name no internal types", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsmongoose-types-"));
  try {
    const index = fileURLToPath(new URL("../../src/index.js", import.meta.url));
    const file = join(dir, "user.ts");
    writeFileSync(file, [
      `import { MG_EV_READ, type EventHandler } from ${JSON.stringify(index)};`,
      "export const a: EventHandler = (c: string) => { void c; };",
      "export const b: EventHandler = (c, ev, data: Date) => { void c; void ev; void data; };",
      "export const d: EventHandler = (c, ev, data) => { if (ev === MG_EV_READ) data.method; };",
      "",
    ].join("\n"));
    const program = ts.createProgram([file], {
      strict: true, noEmit: true, skipLibCheck: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022, types: ["node"], typeRoots: [fileURLToPath(new URL("../../../node_modules/@types", import.meta.url))],
    });
    const diags = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file);
    const text = diags.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("\n");
    assert.deepEqual(diags.map((d) => d.file!.getLineAndCharacterOfPosition(d.start!).line + 1), [2, 3, 4], text);
    assert.match(text, /not assignable to type 'EventHandler'/);
    assert.match(text, /Property 'method' does not exist on type 'number'/);
    for (const internal of ["NoDataEvent", "UserEvent", "CoreConnection", "CoreHandler", "ShortEventHandlerForms"]) {
      assert.ok(!text.includes(internal), `the messages name ${internal}:\n${text}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
