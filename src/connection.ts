// The public Connection (defined in api.ts beside the Manager, which it refers to).
export { Connection, type ConnectionOptions } from "./api.js";
export type { Addr } from "./core/addr.js";
