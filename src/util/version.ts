// The package's version (kept equal to package.json's by test/tools/version.test.ts), so
// that no module needs import.meta or require to find package.json (both builds share it).
export const VERSION = "0.1.0";
