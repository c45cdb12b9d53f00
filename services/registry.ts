// Discovers service modules: every services/<name>/module.(ts|js) that exports `serviceModule`.
// A new service is a new folder; nothing else changes.
import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import type { ServiceModule } from './module.js';

const ORDER = ['identity', 'networks', 'images', 'volumes', 'compute', 'objects'];

let cached: ServiceModule[] | undefined;

export async function loadServiceModules(): Promise<ServiceModule[]> {
  if (cached) return cached;
  const dir = path.dirname(fileURLToPath(import.meta.url));
  const found: ServiceModule[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    for (const file of ['module.js', 'module.ts']) {
      const full = path.join(dir, entry.name, file);
      if (!existsSync(full)) continue;
      const mod = (await import(pathToFileURL(full).href)) as { serviceModule?: ServiceModule };
      if (mod.serviceModule) found.push(mod.serviceModule);
      break;
    }
  }
  // Coarse dependency order (identity → networks → images → volumes → servers → objects);
  // unknown modules go last, by name.
  const rank = (m: ServiceModule) => (ORDER.includes(m.name) ? ORDER.indexOf(m.name) : ORDER.length);
  found.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  cached = found;
  return found;
}

export async function selectServiceModules(names?: string[]): Promise<ServiceModule[]> {
  const all = await loadServiceModules();
  if (!names || names.length === 0) return all;
  const unknown = names.filter((n) => !all.some((m) => m.name === n));
  if (unknown.length > 0) {
    const { UsageError } = await import('../src/errors.js');
    throw new UsageError(
      `unknown service ${unknown.map((n) => `"${n}"`).join(', ')}; known services: ${all.map((m) => m.name).join(', ')}`,
    );
  }
  return all.filter((m) => names.includes(m.name));
}
