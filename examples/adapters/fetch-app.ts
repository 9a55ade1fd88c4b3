// A WHATWG fetch-style app, `(request) => Response`, served by tsmongoose through
// fetchHandler(). The same function runs unchanged on Deno, Bun or Cloudflare Workers;
// Hono's `app.fetch` (or itty-router's `router.fetch`) plugs in the same way.
//
// Users write:  import { Manager, fetchHandler, type FetchApp } from "tsmongoose";
//
// Run:  node dist/examples/adapters/fetch-app.js [port | listen-url]
//       (or PORT=... / LISTEN_URL=...; default http://0.0.0.0:8000)
// Try:  curl http://127.0.0.1:8000/api/hello?name=you
//       curl -d '{"a":1}' -H 'Content-Type: application/json' http://127.0.0.1:8000/api/echo
//       curl -N http://127.0.0.1:8000/countdown
import { Manager, fetchHandler, type FetchApp } from "../../src/index.js";

const arg = process.argv[2] ?? process.env.LISTEN_URL ?? process.env.PORT ?? "8000";
const listenUrl = /^\d+$/.test(arg) ? `http://0.0.0.0:${arg}` : arg;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const encoder = new TextEncoder();

const app: FetchApp = async (request, env) => {
  const url = new URL(request.url);
  const route = `${request.method} ${url.pathname}`;

  if (route === "GET /") {
    return new Response("tsmongoose + fetch: try /api/hello?name=you, POST /api/echo, /countdown\n");
  }
  if (route === "GET /api/hello") {
    const name = url.searchParams.get("name") ?? "world";
    return Response.json({ hello: name, from: env.remoteAddr.ip });
  }
  if (route === "POST /api/echo") {
    if (!request.headers.get("content-type")?.startsWith("application/json")) {
      return Response.json({ error: "send JSON" }, { status: 415 });
    }
    return Response.json({ youSent: await request.json() }, { status: 201 });
  }
  if (route === "GET /countdown") {
    // A streamed body: each line is sent when it is made (chunked encoding). If the client
    // goes away, the stream is cancelled and request.signal aborts.
    let n = Number(url.searchParams.get("from") ?? 3);
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (n < 0) { controller.close(); return; }
        controller.enqueue(encoder.encode(n === 0 ? "liftoff!\n" : `${n}...\n`));
        n--;
        if (n >= 0) await sleep(Number(process.env.COUNTDOWN_MS ?? 300));
      },
    });
    return new Response(stream, { headers: { "Content-Type": "text/plain; charset=utf-8" } });
  }
  if (route === "GET /fail") throw new Error("this route always fails (the client gets a 500)");
  return Response.json({ error: `no route for ${route}` }, { status: 404 });
};

const manager = new Manager();
const listener = manager.listen(listenUrl, fetchHandler(app));
console.log(`listening on http://${listener.localAddr.ip}:${listener.localAddr.port}`);
await manager.run(); // until Ctrl-C / SIGTERM, then a graceful close
