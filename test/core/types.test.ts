// Type-level tests: this file must compile. Checking `ev` narrows `data`.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_POLL, MG_EV_READ, MG_EV_WS_MSG, MG_EV_MQTT_OPEN, MG_EV_WAKEUP,
  MG_EV_CLOSE, MG_EV_USER, MG_EV_SNTP_TIME, MG_EV_MQTT_MSG,
  type EventHandler, type HttpMessage, type WsMessage, type MqttMessage,
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

// @ts-expect-error handlers declare all three parameters
export const tooShort: EventHandler = (_c, _ev) => {};

// @ts-expect-error data is not narrowed to HttpMessage for READ
export const wrong: EventHandler = (_c, ev, data) => { if (ev === MG_EV_READ) data.method; };

test("the EventHandler type narrows data by event (compile-time)", () => {
  assert.equal(typeof handler, "function");
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
