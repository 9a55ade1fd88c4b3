// An Express app served by tsmongoose through nodeHandler(): Express gets node:http's
// own request and response objects, so routers, middleware (express.json, static files)
// and error handlers work as they do under http.createServer(app).
//
// Users write:  import { Manager, nodeHandler } from "tsmongoose";
//
// Run:  node dist/examples/adapters/express-app.js [port | listen-url]
//       (or PORT=... / LISTEN_URL=...; default http://0.0.0.0:8000)
// Try:  curl http://127.0.0.1:8000/api/todos
//       curl -d '{"title":"write docs"}' -H 'Content-Type: application/json' http://127.0.0.1:8000/api/todos
import express, { type NextFunction, type Request, type Response } from "express";
import { Manager, nodeHandler } from "../../src/index.js";

const arg = process.argv[2] ?? process.env.LISTEN_URL ?? process.env.PORT ?? "8000";
const listenUrl = /^\d+$/.test(arg) ? `http://0.0.0.0:${arg}` : arg;

interface Todo { id: number; title: string; done: boolean }
const todos: Todo[] = [{ id: 1, title: "try tsmongoose", done: true }];

const app = express();
app.use(express.json());

app.get("/", (_req, res) => {
  res.type("text").send("tsmongoose + Express: try GET/POST /api/todos, GET /api/todos/1, PATCH /api/todos/1\n");
});
app.get("/api/todos", (_req, res) => { res.json(todos); });
app.get("/api/todos/:id", (req, res) => {
  const todo = todos.find((t) => t.id === Number(req.params.id));
  if (!todo) { res.status(404).json({ error: "no such todo" }); return; }
  res.json(todo);
});
app.post("/api/todos", (req, res) => {
  const title = (req.body as { title?: unknown } | undefined)?.title;
  if (typeof title !== "string" || title === "") { res.status(400).json({ error: "title required" }); return; }
  const todo: Todo = { id: todos.length + 1, title, done: false };
  todos.push(todo);
  res.status(201).location(`/api/todos/${todo.id}`).json(todo);
});
app.patch("/api/todos/:id", (req, res) => {
  const todo = todos.find((t) => t.id === Number(req.params.id));
  if (!todo) { res.status(404).json({ error: "no such todo" }); return; }
  todo.done = Boolean((req.body as { done?: unknown } | undefined)?.done);
  res.json(todo);
});
app.get("/old-todos", (_req, res) => { res.redirect(301, "/api/todos"); });
app.get("/fail", () => { throw new Error("this route always fails"); });
// Error middleware: four parameters.
app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
  console.error(`error: ${err.message}`);
  res.status(500).json({ error: err.message });
});

const manager = new Manager();
const listener = manager.listen(listenUrl, nodeHandler(app));
console.log(`listening on http://${listener.localAddr.ip}:${listener.localAddr.port}`);
await manager.run(); // until Ctrl-C / SIGTERM, then a graceful close
