#!/usr/bin/env node
// Entry point of the `permafrost` command. The TypeScript sources are compiled to dist/ by
// `npm run build` (run by `npm ci` through the `prepare` script and by `npm test`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(compiled))) {
  process.stderr.write('permafrost: not built yet. Run `npm run build` in the project folder.\n');
  process.exit(70);
}
const { main } = await import(compiled.href);
await main(process.argv);
