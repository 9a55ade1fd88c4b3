// The public Manager (defined in api.ts beside the Connection, which it refers to).
export { Manager, type ManagerOptions, type RunOptions, type CloseOptions } from "./api.js";
