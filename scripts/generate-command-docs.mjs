#!/usr/bin/env node
// Writes docs/commands.md from the command tree of the compiled CLI (run `npm run build` first;
// `npm run docs:commands` does both).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const { buildProgram } = await import('../dist/src/cli/main.js');
const { renderCommandReference } = await import('../dist/src/cli/command-reference.js');
const target = fileURLToPath(new URL('../docs/commands.md', import.meta.url));
writeFileSync(target, renderCommandReference(await buildProgram()));
process.stdout.write(`wrote ${target}\n`);
