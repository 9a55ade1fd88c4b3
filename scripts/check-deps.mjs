#!/usr/bin/env node
// Checks the import graph of src/ (issue 7): no import cycle anywhere (type-only imports
// count too), src/core/ imports only src/core/, src/util/ and src/tls/, and src/util/
// imports only src/util/. Exit 1 with each offending edge or cycle path, 0 when clean.
//
//   node scripts/check-deps.mjs [--root DIR] [--mermaid] [--verbose]
//
// --root points at another source tree (default: src/ next to this script's folder).
// --mermaid prints a folder-level dependency graph (for docs/architecture.md) on stdout
// and moves the findings to stderr; the exit code is the same. --verbose lists, for a
// knot of files that import each other, the shortest cycle through each of its files
// (by default one cycle per knot).
//
// Imports are read with TypeScript's own parser (already a devDependency), so comments,
// strings and template literals cannot fake or hide an import.
import { readdirSync, readFileSync, statSync, existsSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import ts from "typescript";

/** Which top-level folders a folder may import from (a folder not listed may import anything). */
const RULES = {
  core: ["core", "util", "tls"],
  util: ["util"],
};

const USAGE = "Usage: node scripts/check-deps.mjs [--root DIR] [--mermaid] [--verbose]\n";
let args;
try {
  ({ values: args } = parseArgs({
    options: {
      root: { type: "string" }, mermaid: { type: "boolean", default: false },
      verbose: { type: "boolean", default: false }, help: { type: "boolean", short: "h" },
    },
    strict: true,
  }));
} catch (e) {
  process.stderr.write(`check-deps: ${e.message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const root = resolve(args.root ?? join(dirname(fileURLToPath(import.meta.url)), "..", "src"));
if (!existsSync(root) || !statSync(root).isDirectory()) {
  process.stderr.write(`check-deps: ${root} is not a directory\n`);
  process.exit(2);
}
// Paths print from the tree's parent ("src/core/x.ts"), wherever the script runs.
const rootName = basename(root);
// Findings go to stderr when stdout carries the mermaid graph.
const report = args.mermaid ? (s) => process.stderr.write(s + "\n") : (s) => process.stdout.write(s + "\n");

/** Every .ts file under `dir` (declaration files included: they can import too). */
function tsFiles(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) tsFiles(p, out);
    else if (/\.(m|c)?ts$/.test(name)) out.push(p);
  }
  return out;
}

/** The module specifiers of one file: { spec, typeOnly, line }. */
function imports(file) {
  const text = readFileSync(file, "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out = [];
  const add = (lit, typeOnly) => {
    if (lit && ts.isStringLiteralLike(lit)) {
      out.push({ spec: lit.text, typeOnly, line: sf.getLineAndCharacterOfPosition(lit.getStart(sf)).line + 1 });
    }
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node)) {
      const c = node.importClause;
      // `import { type A, type B }` is as type-only as `import type { A, B }`.
      const allTypes = c !== undefined && (c.isTypeOnly || (c.name === undefined && c.namedBindings !== undefined &&
        ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier, allTypes);
    } else if (ts.isExportDeclaration(node)) {
      const allTypes = node.isTypeOnly || (node.exportClause !== undefined && ts.isNamedExports(node.exportClause) &&
        node.exportClause.elements.length > 0 && node.exportClause.elements.every((e) => e.isTypeOnly));
      if (node.moduleSpecifier) add(node.moduleSpecifier, allTypes);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false); // import("./x")
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true); // typeof import("./x") in a type
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** The file a relative specifier names (".js" is the compiled name of a ".ts"), or undefined. */
function resolveSpec(from, spec) {
  const base = resolve(dirname(from), spec);
  const candidates = [];
  const m = /\.(m|c)?js$/.exec(base);
  if (m) candidates.push(base.slice(0, -m[0].length) + `.${m[1] ?? ""}ts`);
  candidates.push(base, `${base}.ts`, join(base, "index.ts"));
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

/** "core" for src/core/x.ts; the file name for files at the top of the tree ("index.ts"). */
function folderOf(file) {
  const rel = relative(root, file);
  if (rel.startsWith("..")) return undefined;
  return rel.split(sep)[0];
}

const show = (file) => relative(dirname(root), file).split(sep).join("/");

const files = tsFiles(root);
const fileSet = new Set(files);
/** file -> [{ to, typeOnly, line }] for relative imports that resolve. */
const graph = new Map();
const problems = [];
let edgeCount = 0, externalCount = 0;

for (const f of files) {
  const edges = [];
  for (const imp of imports(f)) {
    if (!imp.spec.startsWith("./") && !imp.spec.startsWith("../") && imp.spec !== "." && imp.spec !== "..") { externalCount++; continue; }
    const to = resolveSpec(f, imp.spec);
    if (to === undefined) {
      problems.push(`unresolved import: ${show(f)}:${imp.line} imports "${imp.spec}", which names no file`);
      continue;
    }
    // Several imports of one file (a type import and a value import) are one edge; it is type-only if all are.
    const same = edges.find((e) => e.to === to);
    if (same) { same.typeOnly &&= imp.typeOnly; continue; }
    edges.push({ to, typeOnly: imp.typeOnly, line: imp.line });
    edgeCount++;
  }
  graph.set(f, edges);
}

// (b), (c): layering rules between top-level folders.
let layerViolations = 0;
for (const [f, edges] of graph) {
  const from = folderOf(f);
  const allowed = RULES[from];
  if (allowed === undefined || relative(root, f).split(sep).length === 1) continue;
  for (const e of edges) {
    const to = folderOf(e.to);
    const inTree = to !== undefined && relative(root, e.to).split(sep).length > 1;
    if (inTree && allowed.includes(to)) continue;
    layerViolations++;
    problems.push(`layering: ${show(f)}:${e.line} imports ${show(e.to)}${e.typeOnly ? " (type-only)" : ""}; ` +
      `${rootName}/${from}/ may import only ${allowed.map((a) => `${rootName}/${a}/`).join(", ")}`);
  }
}

// (a): cycles. Tarjan's strongly connected components; each component with more than one
// file (or a file importing itself) holds at least one cycle. One shortest cycle per
// component is shown, with the component's size, so a long knot reads as one finding.
function components() {
  let index = 0;
  const idx = new Map(), low = new Map(), onStack = new Set(), stack = [], out = [];
  const strong = (v) => {
    // Iterative, so a deep import chain cannot overflow the JS stack.
    const work = [[v, 0]];
    idx.set(v, index); low.set(v, index); index++; stack.push(v); onStack.add(v);
    while (work.length > 0) {
      const top = work[work.length - 1];
      const [u, i] = top;
      const edges = (graph.get(u) ?? []).filter((e) => fileSet.has(e.to));
      if (i < edges.length) {
        top[1]++;
        const w = edges[i].to;
        if (!idx.has(w)) {
          idx.set(w, index); low.set(w, index); index++; stack.push(w); onStack.add(w);
          work.push([w, 0]);
        } else if (onStack.has(w)) low.set(u, Math.min(low.get(u), idx.get(w)));
        continue;
      }
      work.pop();
      if (work.length > 0) { const p = work[work.length - 1][0]; low.set(p, Math.min(low.get(p), low.get(u))); }
      if (low.get(u) === idx.get(u)) {
        const comp = [];
        let w;
        do { w = stack.pop(); onStack.delete(w); comp.push(w); } while (w !== u);
        out.push(comp);
      }
    }
  };
  for (const f of files) if (!idx.has(f)) strong(f);
  return out;
}

/** The shortest cycle through `start` inside `members` (breadth-first), as a list of files. */
function shortestCycle(start, members) {
  const prev = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const u = queue.shift();
    for (const e of graph.get(u)) {
      if (!members.has(e.to)) continue;
      if (e.to === start) {
        const path = [];
        for (let x = u; x !== undefined; x = prev.get(x)) path.unshift(x);
        return [...path, start];
      }
      if (!prev.has(e.to)) { prev.set(e.to, u); queue.push(e.to); }
    }
  }
  return [start];
}

const edgeOf = (a, b) => graph.get(a).find((e) => e.to === b);
const cycles = [];
for (const comp of components()) {
  const self = comp.length === 1 && edgeOf(comp[0], comp[0]) !== undefined;
  if (comp.length < 2 && !self) continue;
  const members = new Set(comp);
  // The shortest cycle through each member, without repeats (a cycle is the same from any of its files).
  const seen = new Set(), all = [];
  for (const m of [...comp].sort()) {
    const c = shortestCycle(m, members);
    const key = [...c.slice(1)].sort().join("\0");
    if (seen.has(key)) continue;
    seen.add(key);
    all.push(c);
  }
  all.sort((a, b) => a.length - b.length);
  cycles.push({ comp, members, paths: args.verbose ? all : all.slice(0, 1) });
}
cycles.sort((a, b) => b.comp.length - a.comp.length);
const describe = (path) => {
  const steps = path.map((f, i) => (i === 0 ? show(f) : `${edgeOf(path[i - 1], f).typeOnly ? "-(type)->" : "->"} ${show(f)}`)).join(" ");
  const typeOnly = path.every((f, i) => i === 0 || edgeOf(path[i - 1], f).typeOnly);
  return `${typeOnly ? "(type-only imports) " : ""}${steps}`;
};
for (const { comp, members, paths } of cycles) {
  let msg = `cycle: ${describe(paths[0])}`;
  if (comp.length > paths[0].length - 1) {
    msg += `\n    one of the cycles among ${comp.length} files that import each other: ${[...comp].sort().map(show).join(", ")}`;
    for (const p of paths.slice(1)) msg += `\n    also: ${describe(p)}`;
    if (args.verbose) {
      // Pairs of files that import each other: the shortest cycles, often the first to break.
      const sorted = [...comp].sort();
      for (const a of sorted) for (const e of graph.get(a)) {
        if (a < e.to && members.has(e.to) && edgeOf(e.to, a) !== undefined) msg += `\n    mutual: ${describe([a, e.to, a])}`;
      }
    }
  }
  problems.push(msg);
}

report(`check-deps: ${files.length} files, ${edgeCount} relative imports (${externalCount} other) in ${rootName}/; ` +
  `${cycles.length} cycle${cycles.length === 1 ? "" : "s"}, ${layerViolations} layering violation${layerViolations === 1 ? "" : "s"}`);
for (const p of problems) report(`  FAIL ${p}`);

if (args.mermaid) {
  // Folder-level graph: one node per top-level folder (or top-level file), one arrow per
  // folder pair with the number of file imports behind it.
  const counts = new Map();
  for (const [f, edges] of graph) {
    const a = folderOf(f);
    for (const e of edges) {
      const b = folderOf(e.to);
      if (b === undefined || a === b) continue;
      const k = `${a}\0${b}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  const id = (n) => n.replace(/[^A-Za-z0-9_]/g, "_");
  const nodes = [...new Set(files.map(folderOf))].sort();
  const lines = ["```mermaid", "graph TD"];
  for (const n of nodes) lines.push(`  ${id(n)}["${n}"]`);
  for (const [k, n] of [...counts].sort()) {
    const [a, b] = k.split("\0");
    lines.push(`  ${id(a)} -->|${n}| ${id(b)}`);
  }
  lines.push("```");
  process.stdout.write(lines.join("\n") + "\n");
}

process.exit(problems.length > 0 ? 1 : 0);
