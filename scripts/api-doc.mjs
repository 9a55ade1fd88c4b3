#!/usr/bin/env node
// Writes docs/api.md, the API reference, from the published types: it reads
// dist/src/index.d.ts (run it after the build) with the TypeScript compiler API and
// lists every export — classes with their public members, functions, interfaces with
// their options, types, constants and events — one line each, with the first sentence
// of its doc comment.
//
//   node scripts/api-doc.mjs           write docs/api.md
//   node scripts/api-doc.mjs --check   exit 1 when docs/api.md is not what it would write
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import ts from "typescript";

const USAGE = "Usage: node scripts/api-doc.mjs [--check]\n";
let args;
try {
  ({ values: args } = parseArgs({ options: { check: { type: "boolean" }, help: { type: "boolean", short: "h" } }, strict: true }));
} catch (e) {
  process.stderr.write(`api-doc: ${e.message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) { process.stdout.write(USAGE); process.exit(0); }

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const entry = join(repo, "dist", "src", "index.d.ts");
const out = join(repo, "docs", "api.md");
if (!existsSync(entry)) { process.stderr.write(`api-doc: ${entry} is missing; run npm run build first\n`); process.exit(2); }

const program = ts.createProgram([entry], {
  strict: true, noEmit: true, skipLibCheck: true, types: ["node"],
  module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
});
const checker = program.getTypeChecker();
const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry));
const F = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope;

/** The first sentence of a symbol's doc comment, on one line. */
function doc(sym) {
  const text = ts.displayPartsToString(sym.getDocumentationComment(checker)).replace(/\s+/g, " ").trim();
  const m = /^(.*?[^.][.!?])(\s+[A-Z0-9(`"]|$)/.exec(text);
  let first = m ? m[1] : text;
  if (first.length > 240) first = `${first.slice(0, 239)}…`;
  return first.replace(/\|/g, "\\|");
}
/** Code in a table cell: backticks, pipes escaped, long types shortened. */
function code(text, max = 140) {
  // What the compiler spells out but a reader does not need.
  let t = text.replace(/\s+/g, " ").replace(/<ArrayBufferLike>/g, "").replace(/(\w+\?: [^,()]+?) \| undefined(?=[,)])/g, "$1");
  if (t.length > max) t = `${t.slice(0, max - 1)}…`;
  return `\`${t.replace(/\|/g, "\\|").replace(/`/g, "'")}\``;
}
const isPublicName = (n) => !n.startsWith("_") && !n.startsWith("#") && !n.startsWith("__@");

function declOf(sym) { return sym.valueDeclaration ?? sym.declarations?.[0]; }

function memberLines(type, cls) {
  const lines = [];
  for (const p of checker.getPropertiesOfType(type)) {
    if (!isPublicName(p.name)) continue;
    const d = declOf(p);
    if (d && ts.getCombinedModifierFlags(d) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
    const t = checker.getTypeOfSymbol(p);
    const sigs = p.flags & ts.SymbolFlags.Method ? t.getCallSignatures() : [];
    const what = sigs.length > 0
      ? sigs.map((s) => `${p.name}${checker.signatureToString(s, undefined, F)}`).join("; ")
      : `${p.flags & ts.SymbolFlags.Optional ? `${p.name}?` : p.name}: ${checker.typeToString(t, undefined, F)}`;
    lines.push(`| ${code(what)} | ${doc(p)} |`);
  }
  if (cls) {
    const ctorType = checker.getTypeOfSymbol(cls);
    for (const s of ctorType.getConstructSignatures()) {
      const params = s.getParameters().map((p) => `${p.name}${p.flags & ts.SymbolFlags.Optional || (declOf(p) && checker.isOptionalParameter(declOf(p))) ? "?" : ""}: ${checker.typeToString(checker.getTypeOfSymbol(p), undefined, F)}`);
      lines.unshift(`| ${code(`new ${cls.name}(${params.join(", ")})`)} | ${doc(s.getDeclaration()?.symbol ?? cls) || doc(cls)} |`);
    }
  }
  return lines.sort((a, b) => (a.startsWith("| `new ") ? -1 : b.startsWith("| `new ") ? 1 : a.localeCompare(b)));
}

// The core's events carry no doc comment of their own (src/core/events.ts lists them
// in Mongoose's order); what each one means and its `data`, as in API.md.
const CORE_EVENTS = {
  MG_EV_ERROR: "An error (data: the message; conn.lastError has the code); the connection closes.",
  MG_EV_OPEN: "The connection was created (data: undefined).",
  MG_EV_POLL: "Sent on every poll (data: the monotonic time in milliseconds).",
  MG_EV_RESOLVE: "The host name was resolved (data: undefined).",
  MG_EV_CONNECT: "A client connection was established (data: undefined).",
  MG_EV_ACCEPT: "A listener accepted this connection (data: undefined).",
  MG_EV_TLS_HS: "The TLS handshake completed (data: undefined).",
  MG_EV_READ: "Bytes arrived in the receive buffer (data: how many).",
  MG_EV_WRITE: "Bytes were handed to the socket (data: how many).",
  MG_EV_CLOSE: "The connection closed; the last event it gets (data: undefined).",
  MG_EV_WAKEUP: "manager.wakeup() reached this connection (data: the Buffer passed).",
  MG_EV_USER: "The first event number for applications: conn.call(MG_EV_USER + n, data).",
};

const sections = { classes: [], functions: [], interfaces: [], types: [], events: [], constants: [] };
for (const exp of checker.getExportsOfModule(moduleSymbol).sort((a, b) => a.name.localeCompare(b.name))) {
  const sym = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp;
  const name = exp.name;
  if (sym.flags & ts.SymbolFlags.Class) {
    const lines = memberLines(checker.getDeclaredTypeOfSymbol(sym), sym);
    sections.classes.push(`### ${name}\n\n${doc(sym)}\n\n| member | |\n|---|---|\n${lines.join("\n")}\n`);
  } else if (sym.flags & ts.SymbolFlags.Function) {
    for (const s of checker.getTypeOfSymbol(sym).getCallSignatures()) {
      sections.functions.push(`| ${code(`${name}${checker.signatureToString(s, undefined, F)}`)} | ${doc(sym)} |`);
    }
  } else if (sym.flags & ts.SymbolFlags.Interface) {
    const lines = memberLines(checker.getDeclaredTypeOfSymbol(sym));
    sections.interfaces.push(`### ${name}\n\n${doc(sym)}\n\n${lines.length > 0 ? `| member | |\n|---|---|\n${lines.join("\n")}\n` : "(call signatures only)\n"}`);
  } else if (sym.flags & ts.SymbolFlags.TypeAlias) {
    const d = sym.declarations?.find(ts.isTypeAliasDeclaration);
    const text = d ? d.type.getText().replace(/\/\/[^\n]*\n/g, " ") : checker.typeToString(checker.getDeclaredTypeOfSymbol(sym), undefined, F);
    sections.types.push(`| \`${name}\` | ${code(text, 110)} | ${doc(sym)} |`);
  } else if (sym.flags & ts.SymbolFlags.Variable) {
    const t = checker.getTypeOfSymbol(sym);
    const value = t.isLiteral() ? JSON.stringify(t.value) : checker.typeToString(t, undefined, F);
    if (/^MG_EV_/.test(name)) {
      sections.events.push([Number(value), `| \`${name}\` | \`${value}\` | ${doc(sym) || CORE_EVENTS[name] || ""} |`]);
    } else {
      sections.constants.push(`| \`${name}\` | ${code(value, 110)} | ${doc(sym)} |`);
    }
  }
}

const md = `# API reference

Generated from the published types (\`dist/src/index.d.ts\`) by \`node scripts/api-doc.mjs\`;
a test fails when this file is not what the script writes. Every export of \`tsmongoose\`,
one line each: the first sentence of its doc comment. The guides in this folder and the
[README](../README.md) show how the pieces are used.

- [Classes](#classes) · [Functions](#functions) · [Interfaces and options](#interfaces-and-options) · [Types](#types) · [Events](#events) · [Constants](#constants)

## Classes

${sections.classes.join("\n")}
## Functions

| function | |
|---|---|
${sections.functions.join("\n")}

## Interfaces and options

${sections.interfaces.join("\n")}
## Types

| type | definition | |
|---|---|---|
${sections.types.join("\n")}

## Events

\`ev\` values a handler receives (\`eventName(ev)\` gives the name).

| event | value | |
|---|---|---|
${sections.events.sort((a, b) => a[0] - b[0]).map((e) => e[1]).join("\n")}

## Constants

| constant | value | |
|---|---|---|
${sections.constants.join("\n")}
`;

if (args.check) {
  const now = existsSync(out) ? readFileSync(out, "utf8") : "";
  if (now !== md) { process.stderr.write("api-doc: docs/api.md is out of date; run npm run build && node scripts/api-doc.mjs\n"); process.exit(1); }
  process.stdout.write("api-doc: docs/api.md is up to date\n");
} else {
  writeFileSync(out, md);
  process.stdout.write(`api-doc: wrote ${out}\n`);
}
