// tsmongoose: the public API.
export * from "./events.js";
export { Manager, type ManagerOptions, type RunOptions, type CloseOptions } from "./manager.js";
export { Connection } from "./connection.js";
export type { Addr } from "./core/addr.js";
export type { ConnectionOptions, CoreOptions, HttpLimits, WsOptions, MqttOptions } from "./options.js";
export { MgError, type MgErrorCode, type MgErrorDetails } from "./util/errors.js";
export { Timer, type TimerOptions } from "./core/timers.js";
export { wakeup, type WakeupHandle } from "./core/wakeup.js";
export { HttpMessage } from "./http/message.js";
export type { HeadersInit } from "./http/reply.js";
export type { ServeOptions } from "./http/static.js";
export { httpVar } from "./http/vars.js";
export { httpParseMultipart, type MultipartPart } from "./http/multipart.js";
export { httpCreds, type HttpCreds } from "./http/auth.js";
export type { HttpRequestOptions, HttpResponse } from "./http/client.js";
export { statusText } from "./http/status.js";
export { fetchHandler, type FetchApp, type FetchEnv, type FetchHandlerOptions } from "./adapters/fetch.js";
export { nodeHandler, type NodeApp, type NodeHandlerOptions } from "./adapters/node.js";
export { WsMessage } from "./ws/message.js";
export * from "./ws/constants.js";
export * from "./ws/close.js";
export type { WsDeflateOptions } from "./ws/deflate.js";
export type { WsSendQueuePolicy } from "./ws/state.js";
export type { WsConnectOptions } from "./ws/client.js";
export { SNTP_DEFAULT_TIMEOUT_MS, type SntpConnectOptions } from "./sntp/client.js";
export { MqttPacket, type MqttMessage, type MqttProperty, type MqttConnectInfo, type MqttWill, type MqttTopicFilter } from "./mqtt/message.js";
export * from "./mqtt/constants.js";
export type { MqttConnectOptions, MqttWillOptions } from "./mqtt/client.js";
export type { MqttPubOptions, MqttSubOptions, MqttConnackOptions } from "./mqtt/send.js";
export { MqttBroker, type MqttBrokerOptions, type MqttAction, type MqttAuthHook, type MqttAuthRequest, type MqttAuthResult, type MqttSessionInfo } from "./broker/broker.js";
export {
  MqttFileStore, type MqttFileStoreOptions, type MqttFsyncPolicy, type MqttPersistenceOptions, type MqttStore, type MqttStoreSnapshot,
  type MqttStoredDelivery, type MqttStoredMessage, type MqttStoredSession, type MqttStoredSubscription,
} from "./broker/broker.js";
export type { TlsOpts, TlsCertKey } from "./tls/options.js";
export { selfSignedCert, type SelfSignedOptions, type SelfSigned } from "./tls/selfsigned.js";
export { urlPort, urlHost, urlUser, urlPass, urlUri, urlIsSsl, urlScheme } from "./util/url.js";
export { urlEncode, urlDecode } from "./util/url-encode.js";
export { base64Encode, base64Decode } from "./util/base64.js";
export { match } from "./util/match.js";
export { jsonGet, jsonGetNum, jsonGetBool, jsonGetLong, jsonGetBigInt, jsonGetStr, type JsonInput } from "./util/json.js";
export { md5, sha1, sha256, hmacSha256, crc32 } from "./util/hash.js";
export { randomBytes, randomStr } from "./util/random.js";
export { Rpc, RpcReq, type RpcHandler, RPC_PARSE_ERROR, RPC_INVALID_REQUEST, RPC_METHOD_NOT_FOUND, RPC_INVALID_PARAMS, RPC_INTERNAL_ERROR } from "./util/rpc.js";
export { millis } from "./util/time.js";
export { logSet, logGet, MG_LL_NONE, MG_LL_ERROR, MG_LL_INFO, MG_LL_DEBUG, MG_LL_VERBOSE } from "./util/log.js";
