// HTTP scenarios that look like users' traffic, each against node:http (and fastify where
// it fits) in the same run, under wrk with the request set up once in its Lua script:
//   http-browser     a browser's GET of a page: ~600 bytes of real headers and cookies; the
//                    server reads the session cookie and renders a 1 KiB HTML page
//   http-json        a JSON API: POST of a 1 KiB JSON order, parsed, answered with 1 KiB JSON
//   upload-1mib      POST of 1 MiB bodies held in memory, answered with their length (MiB/s up)
//   upload-100mib    POST of 100 MiB bodies streamed to a file (httpUpload() vs pipeline()
//                    into fs.createWriteStream), one connection; the peak RSS column is the point
//   tls-handshakes   HTTPS with `Connection: close`: a new connection and full TLS handshake
//                    per request (wrk keeps no session tickets), vs node:https
//   http-conns-1k / http-conns-10k   http-hello with 1,000 / 10,000 keep-alive connections
// The application code (app-logic.ts) is the same on every side.
import type { Fixtures, MorePeer, Scenario, Side } from "../lib/types.js";
import { wrkComparison } from "../lib/wrk-scenario.js";
import { answerOrder, BROWSER_HEADERS, HELLO, JSON_PATH, orderBody, PAGE_PATH, renderPage } from "../servers/app-logic.js";

function sides(fx: Fixtures, fastify: boolean): { ours: Side; peer: Side; more?: MorePeer[] } {
  const config = { mode: "app", scheme: "http", dir: fx.dir };
  return {
    ours: { label: "tsmongoose", server: { script: "ours-http.js", config } },
    peer: { label: "node:http", server: { script: "node-http.js", config } },
    ...(fastify ? { more: [{ label: "fastify", server: { script: "fastify-http.js", config: { mode: "app" } } }] } : {}),
  };
}

const cookie = BROWSER_HEADERS.find(([k]) => k === "Cookie")![1];
const headerBytes = BROWSER_HEADERS.reduce((n, [k, v]) => n + k.length + v.length + 4, 0);

export const httpBrowser: Scenario = {
  id: "http-browser",
  title: `HTTP browser-like GET (${headerBytes} B of headers and cookies, 1 KiB page), 50 conns`,
  unit: "req/s",
  needs: ["wrk"],
  async prepare(fx) {
    return wrkComparison({
      fx, scheme: "http", path: PAGE_PATH, connections: 50, unit: "req/s", headers: BROWSER_HEADERS,
      expect: Buffer.from(renderPage(cookie)), ...sides(fx, true),
    });
  },
};

const order = orderBody();

export const httpJson: Scenario = {
  id: "http-json",
  title: "HTTP JSON API: POST 1 KiB JSON, parsed, 1 KiB JSON answer, 50 conns",
  unit: "req/s",
  needs: ["wrk"],
  async prepare(fx) {
    return wrkComparison({
      fx, scheme: "http", path: JSON_PATH, connections: 50, unit: "req/s", method: "POST", body: order,
      headers: [["Content-Type", "application/json"], ["Accept", "application/json"]],
      expect: Buffer.from(JSON.stringify(answerOrder(JSON.parse(order.toString())))), ...sides(fx, true),
    });
  },
};

export const upload1MiB: Scenario = {
  id: "upload-1mib",
  title: "HTTP upload: POST 1 MiB bodies (in memory), 10 conns",
  unit: "MiB/s up",
  needs: ["wrk"],
  async prepare(fx) {
    const body = (await fx.file("upload-1mib.bin", 1 << 20)).bytes;
    return wrkComparison({
      fx, scheme: "http", path: "/upload", connections: 10, unit: "MiB/s up", method: "POST", body,
      headers: [["Content-Type", "application/octet-stream"]], expect: Buffer.from(String(body.length)), ...sides(fx, true),
    });
  },
};

export const upload100MiB: Scenario = {
  id: "upload-100mib",
  title: "HTTP upload: POST 100 MiB bodies streamed to a file, 1 conn",
  unit: "MiB/s up",
  needs: ["wrk"],
  cpuBound: false,
  minSeconds: 4,
  async prepare(fx) {
    const size = 100 << 20;
    const body = (await fx.file("upload-100mib.bin", size)).bytes;
    return wrkComparison({
      fx, scheme: "http", path: "/upload-disk?file=up-100mib.bin", connections: 1, unit: "MiB/s up", method: "POST", body,
      headers: [["Content-Type", "application/octet-stream"]], expect: Buffer.from(JSON.stringify({ file: "up-100mib.bin", size })), ...sides(fx, false),
    });
  },
};

export const tlsHandshakes: Scenario = {
  id: "tls-handshakes",
  title: "TLS handshakes: HTTPS GET with a new connection per request, 50 conns",
  unit: "req/s",
  needs: ["wrk", "openssl"],
  async prepare(fx) {
    const c = await fx.cert();
    const config = { mode: "hello", scheme: "https", certFile: c.certFile, keyFile: c.keyFile };
    return wrkComparison({
      fx, scheme: "https", path: "/", connections: 50, unit: "req/s", expect: Buffer.from(HELLO), tlsCa: c.cert, closeEach: true,
      ours: { label: "tsmongoose", server: { script: "ours-http.js", config } },
      peer: { label: "node:https", server: { script: "node-http.js", config } },
    });
  },
};

function manyConns(n: number, id: string): Scenario {
  return {
    id,
    title: `HTTP hello-world, keep-alive, ${n.toLocaleString("en-US")} conns`,
    unit: "req/s",
    needs: ["wrk"],
    // wrk opens the connections inside the measured time.
    ...(n >= 10_000 ? { minSeconds: 4 } : {}),
    async prepare(fx) {
      return wrkComparison({ fx, scheme: "http", path: "/", connections: n, unit: "req/s", expect: Buffer.from(HELLO), ...sides(fx, false) });
    },
  };
}

export const httpConns1k = manyConns(1000, "http-conns-1k");
export const httpConns10k = manyConns(10_000, "http-conns-10k");
