import { test } from "node:test";
import assert from "node:assert/strict";
import * as mg from "../../src/index.js";
import { leakCheckAfterAll } from "../helpers.js";

test("event numbers follow Mongoose's order", () => {
  const order = ["MG_EV_ERROR", "MG_EV_OPEN", "MG_EV_POLL", "MG_EV_RESOLVE", "MG_EV_CONNECT", "MG_EV_ACCEPT",
    "MG_EV_TLS_HS", "MG_EV_READ", "MG_EV_WRITE", "MG_EV_CLOSE", "MG_EV_HTTP_HDRS", "MG_EV_HTTP_MSG",
    "MG_EV_WS_OPEN", "MG_EV_WS_MSG", "MG_EV_WS_CTL", "MG_EV_MQTT_CMD", "MG_EV_MQTT_MSG", "MG_EV_MQTT_OPEN",
    "MG_EV_SNTP_TIME", "MG_EV_WAKEUP", "MG_EV_USER"] as const;
  order.forEach((name, i) => assert.equal((mg as unknown as Record<string, number>)[name], i, name));
});

test("eventName names built-in, user and unknown events", () => {
  assert.equal(mg.eventName(mg.MG_EV_HTTP_MSG), "MG_EV_HTTP_MSG");
  assert.equal(mg.eventName(mg.MG_EV_ERROR), "MG_EV_ERROR");
  assert.equal(mg.eventName(mg.MG_EV_USER), "MG_EV_USER");
  assert.equal(mg.eventName(mg.MG_EV_USER + 3), "MG_EV_USER+3");
  assert.equal(mg.eventName(-1), "MG_EV_UNKNOWN(-1)");
  assert.equal(mg.eventName(1.5), "MG_EV_UNKNOWN(1.5)");
  assert.equal(mg.eventName(99999), "MG_EV_UNKNOWN(99999)");
  assert.equal(mg.eventName(99), "MG_EV_UNKNOWN(99)");
  assert.equal(mg.eventName(mg.MG_EV_USER + 63), "MG_EV_USER+63");
  assert.equal(mg.eventName(mg.MG_EV_USER + 64), "MG_EV_UNKNOWN(84)");
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
