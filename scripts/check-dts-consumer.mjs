#!/usr/bin/env node
// Compiles a tiny strict consumer of the built package (audit: the published types failed
// without skipLibCheck: stripInternal had removed @internal declarations that other .d.ts
// files still imported). In a temporary folder whose node_modules/tsmongoose links to this
// repository, so "tsmongoose" resolves through package.json "exports" like an installed
// copy, it type-checks
//   - moduleResolution NodeNext: an .mts that imports "tsmongoose" (the ESM entry's types)
//     and a .cts that requires it (the CJS entry's types);
//   - moduleResolution Bundler (module Preserve): a file that imports it and one that
//     requires it (the "import" and "require" conditions);
// each with strict true, skipLibCheck false and this repository's typescript and @types/node.
// It fails (exit 1) when an entry does not resolve to the types package.json names, or when
// the consumer or any declaration file of the package has an error (errors inside other
// packages' declarations, @types/node's, are not the package's and are not checked: they
// would cost most of the run time). Run it after the build.
//
//   node scripts/check-dts-consumer.mjs [--package DIR] [--keep]
//
// --package is the package to check (default: this repository; the tests give a small one).
// --keep leaves the temporary folder (its tsconfig.*.json replay a case with tsc -p).
import { mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync, existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import ts from "typescript";

const USAGE = "Usage: node scripts/check-dts-consumer.mjs [--package DIR] [--keep]   (run after the build)\n";
let args;
try {
  ({ values: args } = parseArgs({ options: { package: { type: "string" }, keep: { type: "boolean" }, help: { type: "boolean", short: "h" } }, strict: true }));
} catch (e) {
  process.stderr.write(`check-dts-consumer: ${e.message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) { process.stdout.write(USAGE); process.exit(0); }

const here = realpathSync(join(dirname(fileURLToPath(import.meta.url)), ".."));
if (args.package !== undefined && !existsSync(join(args.package, "package.json"))) {
  process.stderr.write(`check-dts-consumer: ${join(args.package, "package.json")} not found\n${USAGE}`);
  process.exit(2);
}
const pkgDir = args.package === undefined ? here : realpathSync(args.package);
const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
const entryTypes = { import: pkg.exports?.["."]?.import?.types, require: pkg.exports?.["."]?.require?.types };
for (const [cond, file] of Object.entries(entryTypes)) {
  if (typeof file !== "string") { process.stderr.write(`check-dts-consumer: package.json has no exports["."].${cond}.types\n`); process.exit(2); }
  if (!existsSync(join(pkgDir, file))) {
    process.stderr.write(`check-dts-consumer: ${file} not found (run the build first: npm run build)\n`);
    process.exit(2);
  }
}
const show = (file) => relative(pkgDir, file).split(sep).join("/");

// The consumer: each file names the package once, the way a user's code does.
const IMPORT = `import { Manager, type ManagerOptions } from "${pkg.name}";\nconst opts: ManagerOptions = {};\nexport const mgr: Manager = new Manager(undefined, opts);\n`;
const REQUIRE = `import tsm = require("${pkg.name}");\nconst opts: tsm.ManagerOptions = {};\nexport const mgr: tsm.Manager = new tsm.Manager(undefined, opts);\n`;
const common = {
  strict: true, skipLibCheck: false, noEmit: true, target: "ES2022",
  types: ["node"], typeRoots: [join(here, "node_modules", "@types")],
};
const cases = [
  { name: "NodeNext", options: { module: "NodeNext", moduleResolution: "NodeNext" },
    files: { "esm.mts": ["import", IMPORT], "cjs.cts": ["require", REQUIRE] } },
  { name: "Bundler", options: { module: "Preserve", moduleResolution: "Bundler" },
    files: { "bundler-esm.ts": ["import", IMPORT], "bundler-cjs.ts": ["require", REQUIRE] } },
];

const started = performance.now();
const dir = realpathSync(mkdtempSync(join(tmpdir(), "tsmongoose-dts-")));
const failures = [];
try {
  const link = join(dir, "node_modules", ...pkg.name.split("/"));
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(pkgDir, link, "junction");
  writeFileSync(join(dir, "package.json"), `{ "name": "tsmongoose-dts-consumer", "private": true, "type": "module" }\n`);
  for (const c of cases) {
    for (const [file, [, text]] of Object.entries(c.files)) writeFileSync(join(dir, file), text);
    const configFile = join(dir, `tsconfig.${c.name.toLowerCase()}.json`);
    writeFileSync(configFile, JSON.stringify({ compilerOptions: { ...common, ...c.options }, files: Object.keys(c.files) }, null, 2) + "\n");
    const parsed = ts.getParsedCommandLineOfConfigFile(configFile, undefined, {
      ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => failures.push({ c, text: ts.flattenDiagnosticMessageText(d.messageText, "\n") }),
    });
    if (parsed === undefined) continue;
    const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, projectReferences: parsed.projectReferences });
    const diags = [...parsed.errors, ...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
    // Each consumer file must reach the types its condition names in package.json.
    for (const [file, [cond]] of Object.entries(c.files)) {
      const sf = program.getSourceFile(join(dir, file));
      let spec;
      sf?.forEachChild((n) => {
        const lit = ts.isImportDeclaration(n) ? n.moduleSpecifier
          : ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference) ? n.moduleReference.expression : undefined;
        if (lit && ts.isStringLiteral(lit) && lit.text === pkg.name) spec ??= lit;
      });
      const mode = sf && spec && ts.getModeForUsageLocation(sf, spec, parsed.options);
      const got = spec && ts.resolveModuleName(pkg.name, sf.fileName, parsed.options, ts.sys, undefined, undefined, mode).resolvedModule?.resolvedFileName;
      const want = join(pkgDir, entryTypes[cond]);
      if (got === undefined || realpathSync(got) !== want) {
        failures.push({ c, text: `${file} (${cond}): "${pkg.name}" resolves to ${got ? show(realpathSync(got)) : "nothing"}, not ${entryTypes[cond]}` });
      }
    }
    // The consumer's files and every declaration file of the package in the program.
    const ours = program.getSourceFiles().filter((sf) => resolve(sf.fileName).startsWith(dir + sep) ||
      (resolve(sf.fileName).startsWith(pkgDir + sep) && !resolve(sf.fileName).startsWith(join(pkgDir, "node_modules") + sep)));
    for (const sf of ours) diags.push(...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf));
    c.checked = ours.filter((sf) => sf.isDeclarationFile).length;
    for (const d of diags) failures.push({ c, diag: d });
  }
} finally {
  if (args.keep) process.stdout.write(`check-dts-consumer: kept ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
}

const secs = ((performance.now() - started) / 1000).toFixed(1);
const fmt = (d) => {
  const msg = ts.flattenDiagnosticMessageText(d.messageText, "\n    ");
  if (d.file === undefined || d.start === undefined) return `TS${d.code}: ${msg}`;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  const where = resolve(d.file.fileName).startsWith(dir + sep) ? `(consumer) ${relative(dir, d.file.fileName)}` : show(d.file.fileName);
  return `${where}(${line + 1},${character + 1}): TS${d.code}: ${msg}`;
};
const summary = cases.map((c) => `${c.name}: ${c.checked ?? 0} declaration files`).join(", ");
if (failures.length === 0) {
  process.stdout.write(`check-dts-consumer: a strict consumer (skipLibCheck false) compiles against the ESM and CJS entries (${summary}; ${secs}s)\n`);
  process.exit(0);
}
process.stdout.write(`check-dts-consumer: the published types do not compile for a strict consumer with skipLibCheck false: ` +
  `${failures.length} error${failures.length === 1 ? "" : "s"} (${summary}; ${secs}s)\n`);
for (const f of failures) process.stdout.write(`  FAIL [${f.c.name}] ${f.diag ? fmt(f.diag) : f.text}\n`);
process.stdout.write(`  (a .d.ts that imports a name it lacks: stripInternal removed an @internal declaration another ` +
  `declaration still names; drop that @internal or stop naming it. --keep keeps the consumer to replay with tsc -p)\n`);
process.exit(1);
