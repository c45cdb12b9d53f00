// Reads the first existing file of a candidate list and parses it as YAML (JSON is YAML).
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError } from '../errors.js';

export interface ConfigFile {
  path: string;
  /** Label for messages: `clouds.yaml` or `secure.yaml`. */
  label: string;
  clouds: Record<string, unknown>;
}

export function readFirstConfigFile(candidates: string[], label: string): ConfigFile | undefined {
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`${label} ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}); fix its permissions or point OS_CLIENT_CONFIG_FILE elsewhere`, { cause: err });
    }
    let doc: unknown;
    try {
      doc = parse(text);
    } catch (err) {
      // The yaml library's message names line and column; it never contains values beyond the snippet.
      const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
      throw new ConfigError(`${label} ${file}: is not valid YAML: ${detail}`, { cause: err });
    }
    if (doc === null || doc === undefined) return { path: file, label, clouds: {} };
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      throw new ConfigError(`${label} ${file}: must be a mapping with a top-level "clouds" key`);
    }
    const clouds = (doc as Record<string, unknown>).clouds;
    if (clouds === undefined || clouds === null) return { path: file, label, clouds: {} };
    if (typeof clouds !== 'object' || Array.isArray(clouds)) {
      throw new ConfigError(`${label} ${file}: "clouds" must be a mapping of cloud names to settings`);
    }
    return { path: file, label, clouds: clouds as Record<string, unknown> };
  }
  return undefined;
}
