// Every ```ts block of README.md and docs/*.md is type-checked (issue 11: "docs examples
// compiled by a test") with `tsc --strict`, module NodeNext, against the built package's
// types (dist/, through a node_modules/tsmongoose link to this repository, as a user's
// project would see them).
//
// Blocks are excerpts, so each one is compiled as its own module with three helps, and
// nothing else (see wrap() and PRELUDE):
//  - names the package exports that a block uses without importing them are imported
//    for it;
//  - a block that uses `ev`/`data` without imports is compiled as a handler's body;
//  - the variables excerpts take from their surroundings (`conn`, `manager`, `cert`,
//    ...) are declared once, with their types, in PRELUDE; a block that declares one
//    itself shadows it.
// A block that is not TypeScript to compile (a sketch with untyped parameters) is marked
// by an HTML comment `<!-- not compiled: why -->` on the line before its fence.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { run, leakCheckAfterAll } from "../helpers.js";

// This file runs from dist/test/tools/.
const repo = fileURLToPath(new URL("../../../", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

/**
 * What the excerpts take from their surroundings: the usual variables, and the
 * application's own values and functions they call. `ev` and `data` are not here: an
 * excerpt that uses them is the body of a handler (see `wrap`), so that checking `ev`
 * narrows `data` as it does in a real handler.
 */
const PRELUDE = `import type { Connection, EventHandler, FetchApp, HttpMessage, Manager, NodeApp } from "tsmongoose";
declare global {
  const manager: Manager;
  const conn: Connection;
  const handler: EventHandler;
  const msg: HttpMessage;
  const app: FetchApp & NodeApp;
  const cert: string, key: string, ca: string, clientCa: string;
  const apiCert: string, apiKey: string, orgCert: string, orgKey: string;
  const users: string[];
  const job: { id: number };
  const payload: Buffer, part1: Buffer, part2: Buffer, expectedHash: Buffer;
  function broadcast(): void;
  function handleGetUser(conn: Connection, id: string): void;
  function handleCreateUser(conn: Connection, body: string): void;
  function nonce(): Buffer;
  function check(data: Buffer | undefined, state: unknown): boolean;
}
export {};
`;

interface Block { doc: string; line: number; code: string }

/** The ```ts blocks of one markdown file; `line` is the fence's line (1-based). */
function blocksOf(doc: string): Block[] {
  const text = readFileSync(join(repo, doc), "utf8");
  const lines = text.split("\n");
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== "```ts") continue;
    const start = i;
    let end = i + 1;
    while (end < lines.length && lines[end] !== "```") end++;
    assert.ok(end < lines.length, `${doc}:${start + 1}: a \`\`\`ts block that never ends`);
    if (!/<!-- not compiled\b/.test(lines[start - 1] ?? "")) out.push({ doc, line: start + 1, code: lines.slice(start + 1, end).join("\n") });
    i = end;
  }
  return out;
}

/** The names the package exports (values and types), read from its built declarations. */
function packageExports(): Set<string> {
  const entry = join(repo, "dist", "src", "index.d.ts");
  const program = ts.createProgram([entry], { noEmit: true, skipLibCheck: true, types: [], module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext });
  const checker = program.getTypeChecker();
  const mod = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  return new Set(checker.getExportsOfModule(mod).map((s) => s.name));
}

interface Names { declared: Set<string>; used: Set<string>; exports: boolean; imports: [number, number][] }

/** What the block's top level declares or imports (and where its imports are), and every identifier it mentions. */
function namesOf(code: string): Names {
  const sf = ts.createSourceFile("block.ts", code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const n: Names = { declared: new Set(), used: new Set(), exports: false, imports: [] };
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st)) {
      n.imports.push([st.getStart(sf), st.getEnd()]);
      const cl = st.importClause;
      if (cl?.name) n.declared.add(cl.name.text);
      const nb = cl?.namedBindings;
      if (nb && ts.isNamedImports(nb)) for (const el of nb.elements) n.declared.add(el.name.text);
      else if (nb && ts.isNamespaceImport(nb)) n.declared.add(nb.name.text);
    } else if (ts.isExportDeclaration(st) || ts.isExportAssignment(st) || (ts.canHaveModifiers(st) && ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword))) {
      n.exports = true;
    }
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name)) n.declared.add(d.name.text);
    } else if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) && st.name) {
      n.declared.add(st.name.text);
    }
  }
  const visit = (node: ts.Node): void => {
    // A property name (`x.name`, `{ name: v }`) is not a use of a variable `name`.
    if (ts.isIdentifier(node) && !(ts.isPropertyAccessExpression(node.parent) && node.parent.name === node) && !(ts.isPropertyAssignment(node.parent) && node.parent.name === node)) n.used.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return n;
}

/**
 * The file compiled for one block. Package exports it uses but neither imports nor
 * declares are imported at its end (imports are hoisted, and appending keeps the
 * block's line N the document's line fence + N). A block that uses `ev` or `data`
 * without declaring them is an excerpt of a handler: it becomes the body of one, opened
 * on its first line (so only that line's columns shift) and closed after its last; its
 * own imports move to the end, blanked where they were so that lines stay in place.
 * One that never tests `ev` is the branch of an HTTP request (`data` is an HttpMessage).
 */
function wrap(code: string, exported: Set<string>): string {
  const n = namesOf(code);
  const names = [...n.used].filter((x) => exported.has(x) && !n.declared.has(x));
  const inHandler = !n.exports && ((n.used.has("ev") && !n.declared.has("ev")) || (n.used.has("data") && !n.declared.has("data")));
  if (!inHandler) {
    const imports = names.length === 0 ? "" : `import { ${names.sort().join(", ")} } from "tsmongoose";`;
    return `${code}\n${imports}\nexport {};\n`;
  }
  names.push("FullEventHandler");
  // An excerpt that uses `data` without testing `ev` is one of an MG_EV_HTTP_MSG branch.
  const branch = n.used.has("ev") ? "" : "if (ev !== MG_EV_HTTP_MSG) return; ";
  if (branch) names.push("MG_EV_HTTP_MSG");
  let body = code;
  const moved: string[] = [];
  for (const [start, end] of [...n.imports].reverse()) {
    const text = code.slice(start, end);
    moved.unshift(text);
    body = body.slice(0, start) + text.replace(/[^\n]/g, "") + body.slice(end);
  }
  const params = `${n.declared.has("conn") ? "_conn" : "conn"}, ev, data`;
  return `const __excerpt: FullEventHandler = async (${params}) => { ${branch}${body}\n};\n${moved.join("\n")}\nimport { ${[...new Set(names)].sort().join(", ")} } from "tsmongoose";\nexport {};\n`;
}

test("every ```ts block of README.md and docs/*.md type-checks against the package's types", async () => {
  const docs = ["README.md", ...readdirSync(join(repo, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`)];
  const blocks = docs.flatMap(blocksOf);
  assert.ok(blocks.length >= 50, `found ${blocks.length} blocks`);
  const exported = packageExports();
  const tmp = mkdtempSync(join(tmpdir(), "tsmongoose-docs-"));
  try {
    // The package itself, and the repository's dev dependencies (hono, express, ws and
    // their types) that some examples use with it.
    mkdirSync(join(tmp, "node_modules"));
    symlinkSync(repo, join(tmp, "node_modules", "tsmongoose"), "dir");
    for (const dep of readdirSync(join(repo, "node_modules"))) {
      if (!dep.startsWith(".")) symlinkSync(join(repo, "node_modules", dep), join(tmp, "node_modules", dep), "dir");
    }
    writeFileSync(join(tmp, "package.json"), JSON.stringify({ type: "module", private: true }));
    writeFileSync(join(tmp, "prelude.ts"), PRELUDE);
    const where = new Map<string, Block>();
    const files = ["prelude.ts"];
    for (const b of blocks) {
      const name = `${b.doc.replace(/[/.]/g, "_")}_${b.line}.ts`;
      // Appended, not prepended: the block's line N is the document's line b.line + N.
      writeFileSync(join(tmp, name), wrap(b.code, exported));
      where.set(name, b);
      files.push(name);
    }
    writeFileSync(join(tmp, "tsconfig.json"), JSON.stringify({
      compilerOptions: {
        target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true,
        types: ["node"], typeRoots: [join(repo, "node_modules", "@types")], skipLibCheck: true,
      },
      files,
    }));
    const r = await run(process.execPath, [tsc, "-p", join(tmp, "tsconfig.json"), "--pretty", "false"], { timeoutMs: 180000 });
    // Errors as document:line, so that they point at the markdown to fix.
    const errors = r.stdout.split("\n").filter((l) => l.includes("error TS")).map((l) => {
      const m = /([^/(]+)\((\d+),(\d+)\): (.*)$/.exec(l);
      const b = m ? where.get(m[1]!) : undefined;
      return b ? `${b.doc}:${b.line + Number(m![2])}: ${m![4]}` : l;
    });
    assert.deepEqual(errors, [], `tsc exit ${r.code}`);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
