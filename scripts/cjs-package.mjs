// Marks dist/cjs as CommonJS: the package is "type": "module", so without this
// file Node would load dist/cjs/*.js as ES modules (and TypeScript read the .d.ts so).
import { mkdirSync, writeFileSync } from "node:fs";

const dir = new URL("../dist/cjs/", import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(new URL("package.json", dir), '{ "type": "commonjs" }\n');
