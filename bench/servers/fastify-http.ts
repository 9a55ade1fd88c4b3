// The fastify peer (HTTP only): the routes of ours-http.ts written the way the fastify
// documentation shows them (logger off, its own JSON body parser and serializer; a buffer
// parser for the octet-stream upload). Modes "hello" and "app" as in ours-http.ts (no
// disk upload).
import Fastify from "fastify";
import { announce, serverConfig } from "../lib/child.js";
import { answerOrder, HELLO, JSON_PATH, renderPage, sizedBody } from "./app-logic.js";

const cfg = serverConfig<{ mode: "hello" | "app" }>();
const app = Fastify({ logger: false, bodyLimit: 8 << 20 });

if (cfg.mode === "hello") {
  app.get("/", async (_req, reply) => reply.type("text/plain").send(HELLO));
} else {
  app.addContentTypeParser("application/octet-stream", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
  app.get("/products/42", async (req, reply) => reply.type("text/html; charset=utf-8").header("Cache-Control", "no-store").send(renderPage(req.headers.cookie)));
  app.post(JSON_PATH, async (req, reply) => {
    let answer: unknown;
    try { answer = answerOrder(req.body); } catch { return reply.code(400).type("text/plain").send("bad order\n"); }
    return reply.send(answer);
  });
  app.post("/upload", async (req, reply) => reply.type("text/plain").send(String((req.body as Buffer).length)));
  app.get("/size/:n", async (req, reply) => reply.type("application/octet-stream").send(sizedBody(req.url) ?? Buffer.alloc(0)));
  app.get("/", async (_req, reply) => reply.type("text/plain").send(HELLO));
}

const address = await app.listen({ port: 0, host: "127.0.0.1" });
announce(Number(new URL(address).port));
process.on("SIGTERM", () => { void app.close().then(() => process.exit(0)); });
