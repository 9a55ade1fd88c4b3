// The options of listen()/connect(): the core's and every layer's (see api.ts).
export type { ConnectionOptions } from "./api.js";
export type { CoreOptions } from "./core/options.js";
export type { HttpLimits } from "./http/options.js";
export type { WsOptions } from "./ws/options.js";
export type { MqttOptions } from "./mqtt/state.js";
