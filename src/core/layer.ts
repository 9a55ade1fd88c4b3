// The layer interface: how a protocol plugs into the core (Mongoose's `pfn` with its
// `pfn_data`). Declared beside CoreConnection (which holds the layer) and re-exported here.
export type { Layer, LayerFactory } from "./connection.js";
