// Every scenario, in the order they run. A new scenario (MQTT, ...) is one file exporting
// a Scenario (see ../lib/types.ts) and one line here.
import type { Scenario } from "../lib/types.js";
import { httpHello } from "./http-hello.js";
import { httpHelloWorkers } from "./http-hello-workers.js";
import { staticFile } from "./static-file.js";
import { httpsHello } from "./https-hello.js";
import { wsEcho } from "./ws-echo.js";
import { wsEchoPipelined } from "./ws-echo-pipelined.js";
import { wsBroadcast } from "./ws-broadcast.js";
import { wsBurstEmpty } from "./ws-burst-empty.js";
import { wsEcho16MiB } from "./ws-echo-16mib.js";
import { mqttFanout } from "./mqtt-fanout.js";
import { mqttQos1 } from "./mqtt-qos1.js";
import { httpIdle } from "./http-idle.js";
import { mqttFanoutAedes, mqttQos1Aedes } from "./mqtt-aedes.js";
import { mqtt5Aliases, mqtt5SharedAliases } from "./mqtt5-shared-aliases.js";
import { ws16k, ws16kDeflate, wsConns10k, wsConns1k } from "./ws-traffic.js";
import { memHttp, memMqtt, memWs, memWsDeflate } from "./memory.js";
import { mqttCluster } from "./mqtt-cluster.js";
import { logCost } from "./log-cost.js";
import { httpBrowser, httpConns10k, httpConns1k, httpJson, tlsHandshakes, upload100MiB, upload1MiB } from "./http-traffic.js";

export const SCENARIOS: readonly Scenario[] = [
  httpHello, httpHelloWorkers, logCost, staticFile, httpsHello, httpBrowser, httpJson, upload1MiB, upload100MiB, tlsHandshakes, httpConns1k, httpConns10k,
  wsEcho, wsEchoPipelined, wsBroadcast, wsBurstEmpty, wsEcho16MiB, ws16k, ws16kDeflate, wsConns1k, wsConns10k,
  mqttFanout, mqttQos1, mqttFanoutAedes, mqttQos1Aedes, mqtt5SharedAliases, mqtt5Aliases, mqttCluster, httpIdle,
  memHttp, memWs, memWsDeflate, memMqtt];
