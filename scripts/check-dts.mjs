#!/usr/bin/env node
// Checks the published types (issue 7: "only the public API in the published types").
// Starting at dist/src/index.d.ts, it reads every .d.ts that file imports or re-exports,
// transitively, and fails (exit 1) when
//   - a class, interface or object type member (property, method, getter/setter,
//     constructor parameter property) has a name starting with "_", or
//   - "@internal" is still in a file (stripInternal removes what it marks),
// listing each offender as file:line. Run it after the build.
//
//   node scripts/check-dts.mjs [--root DIR]
//
// --root is the folder holding index.d.ts (default: dist/src next to this script's folder).
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import ts from "typescript";

const USAGE = "Usage: node scripts/check-dts.mjs [--root DIR]   (DIR holds index.d.ts; default dist/src)\n";
let args;
try {
  ({ values: args } = parseArgs({ options: { root: { type: "string" }, help: { type: "boolean", short: "h" } }, strict: true }));
} catch (e) {
  process.stderr.write(`check-dts: ${e.message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) { process.stdout.write(USAGE); process.exit(0); }
const root = resolve(args.root ?? join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "src"));
const entry = join(root, "index.d.ts");
if (!existsSync(entry)) {
  process.stderr.write(`check-dts: ${entry} not found (run the build first: npx tsc -p tsconfig.json)\n`);
  process.exit(2);
}
// Paths print from the root's parent ("src/core/connection.d.ts" for dist/src).
const show = (file) => relative(dirname(root), file).split(sep).join("/");

/** The .d.ts a relative specifier names: "./x.js" is "./x.d.ts", "./x" is "./x.d.ts" or "./x/index.d.ts". */
function resolveSpec(from, spec) {
  const base = resolve(dirname(from), spec);
  const stem = base.replace(/\.(m|c)?js$/, "");
  const m = /\.(m|c)?js$/.exec(base);
  const ext = m && m[1] ? `.d.${m[1]}ts` : ".d.ts";
  return [stem + ext, `${base}.d.ts`, join(base, "index.d.ts"), base].find((c) => existsSync(c) && statSync(c).isFile() && c.endsWith(".ts"));
}

const memberKind = (node) => {
  switch (node.kind) {
    case ts.SyntaxKind.PropertyDeclaration: case ts.SyntaxKind.PropertySignature: return "property";
    case ts.SyntaxKind.MethodDeclaration: case ts.SyntaxKind.MethodSignature: return "method";
    case ts.SyntaxKind.GetAccessor: return "getter";
    case ts.SyntaxKind.SetAccessor: return "setter";
    default: return undefined;
  }
};

/** The text of a member name (identifier, string or numeric literal); undefined for computed or #private names. */
function nameText(name) {
  if (name === undefined) return undefined;
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return undefined;
}

const offenders = [];
const files = [];
const seen = new Set([entry]);
const queue = [entry];
while (queue.length > 0) {
  const file = queue.shift();
  files.push(file);
  const text = readFileSync(file, "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lineOf = (node) => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  const follow = (lit) => {
    if (!lit || !ts.isStringLiteralLike(lit) || !(lit.text.startsWith("./") || lit.text.startsWith("../"))) return;
    const to = resolveSpec(file, lit.text);
    if (to === undefined) { offenders.push(`${show(file)}:${lineOf(lit)}: imports "${lit.text}", which names no .d.ts`); return; }
    if (!seen.has(to)) { seen.add(to); queue.push(to); }
  };
  /** The name of the class, interface or type alias a member belongs to, for the message. */
  const ownerName = (node) => {
    for (let p = node.parent; p !== undefined; p = p.parent) {
      if ((ts.isClassDeclaration(p) || ts.isInterfaceDeclaration(p) || ts.isTypeAliasDeclaration(p)) && p.name) return p.name.text;
    }
    return "(anonymous type)";
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) follow(node.moduleSpecifier);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) follow(node.argument.literal);
    const kind = memberKind(node);
    if (kind !== undefined && (ts.isClassLike(node.parent) || ts.isInterfaceDeclaration(node.parent) || ts.isTypeLiteralNode(node.parent))) {
      const n = nameText(node.name);
      if (n !== undefined && n.startsWith("_")) offenders.push(`${show(file)}:${lineOf(node)}: ${ownerName(node)}.${n} (${kind})`);
    }
    if (ts.isConstructorDeclaration(node)) {
      for (const p of node.parameters) {
        // A parameter property (`constructor(readonly _x: T)`) is a member too.
        const isProp = ts.getModifiers(p)?.some((m) => m.kind === ts.SyntaxKind.PublicKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword ||
          m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ReadonlyKeyword);
        const n = nameText(p.name);
        if (isProp && n !== undefined && n.startsWith("_")) offenders.push(`${show(file)}:${lineOf(p)}: ${ownerName(node)}.${n} (constructor parameter property)`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  let at = text.indexOf("@internal");
  while (at >= 0) {
    offenders.push(`${show(file)}:${sf.getLineAndCharacterOfPosition(at).line + 1}: @internal`);
    at = text.indexOf("@internal", at + 1);
  }
}

process.stdout.write(`check-dts: ${files.length} declaration files reached from ${show(entry)}; ${offenders.length} offender${offenders.length === 1 ? "" : "s"}\n`);
for (const o of offenders) process.stdout.write(`  FAIL ${o}\n`);
process.exit(offenders.length > 0 ? 1 : 0);
