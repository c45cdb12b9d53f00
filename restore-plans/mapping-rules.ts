// User-given mappings: `--map KIND:FROM=TO` on the command line and a mapping file (YAML or
// JSON, same shape as the plan's "mappings" rules). FROM is a source name or ID, TO a target name
// or ID; an empty TO means "leave it to the target cloud" where that makes sense (AZ, volume type).
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, UsageError } from '../src/errors.js';

export const MAPPING_KINDS = [
  'flavor',
  'network',
  'subnet_pool',
  'volume_type',
  'availability_zone',
  'image',
  'user',
  'group',
  'role',
  'project',
] as const;
export type MappingKind = (typeof MAPPING_KINDS)[number];

const ALIASES: Record<string, MappingKind> = {
  az: 'availability_zone',
  'availability-zone': 'availability_zone',
  'volume-type': 'volume_type',
  type: 'volume_type',
  'external-network': 'network',
  external_network: 'network',
  'subnet-pool': 'subnet_pool',
};

/** kind → (source name or ID → target name or ID, '' = target default). */
export type MappingRules = Partial<Record<MappingKind, Record<string, string>>>;

export function normalizeMappingKind(raw: string): MappingKind | undefined {
  const lower = raw.trim().toLowerCase();
  if ((MAPPING_KINDS as readonly string[]).includes(lower)) return lower as MappingKind;
  return ALIASES[lower];
}

/** Parses repeated `--map KIND:FROM=TO` values. */
export function parseMapArgs(values: readonly string[]): MappingRules {
  const rules: MappingRules = {};
  for (const value of values) {
    const match = /^([^:]+):(.+?)=(.*)$/s.exec(value);
    if (!match) {
      throw new UsageError(
        `--map "${value}" is not KIND:FROM=TO (e.g. --map flavor:m1.tiny=m1.small, --map network:public=ext-net)`,
      );
    }
    const kind = normalizeMappingKind(match[1]!);
    if (!kind) {
      throw new UsageError(`--map "${value}": unknown kind "${match[1]}"; known kinds: ${MAPPING_KINDS.join(', ')} (alias az)`);
    }
    addRule(rules, kind, match[2]!.trim(), match[3]!.trim(), `--map ${value}`);
  }
  return rules;
}

const mappingFileSchema = z.record(z.string(), z.record(z.string(), z.union([z.string(), z.null()])));

/** Parses a mapping file (YAML or JSON; `{kind: {from: to}}`, optionally under a `mappings:` key). */
export function parseMappingFile(text: string, fileName: string): MappingRules {
  let doc: unknown;
  try {
    doc = parseYaml(text); // JSON is YAML, so one parser reads both
  } catch (err) {
    throw new ConfigError(`mapping file ${fileName} is not valid YAML/JSON: ${(err as Error).message}`, { cause: err });
  }
  if (doc !== null && typeof doc === 'object' && 'mappings' in doc) doc = (doc as { mappings: unknown }).mappings;
  const parsed = mappingFileSchema.safeParse(doc ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(
      `mapping file ${fileName}: ${issue.path.map(String).join('.') || '(top level)'}: ${issue.message}; expected {kind: {from: to}}, e.g. "flavor:\\n  m1.tiny: m1.small"`,
    );
  }
  const rules: MappingRules = {};
  for (const [rawKind, entries] of Object.entries(parsed.data)) {
    const kind = normalizeMappingKind(rawKind);
    if (!kind) {
      throw new ConfigError(`mapping file ${fileName}: unknown kind "${rawKind}"; known kinds: ${MAPPING_KINDS.join(', ')}`);
    }
    for (const [from, to] of Object.entries(entries)) addRule(rules, kind, from, to ?? '', `mapping file ${fileName}`);
  }
  return rules;
}

/** Later rule sets win (file first, then --map), so the command line overrides a shared file. */
export function mergeMappingRules(...sets: MappingRules[]): MappingRules {
  const merged: MappingRules = {};
  for (const set of sets) {
    for (const kind of MAPPING_KINDS) {
      const entries = set[kind];
      if (entries) merged[kind] = { ...(merged[kind] ?? {}), ...entries };
    }
  }
  return merged;
}

function addRule(rules: MappingRules, kind: MappingKind, from: string, to: string, origin: string): void {
  if (from === '') throw new UsageError(`${origin}: empty FROM in a ${kind} mapping`);
  const entries = (rules[kind] ??= {});
  if (from in entries && entries[from] !== to) {
    throw new UsageError(`${origin}: ${kind} "${from}" is mapped twice ("${entries[from]}" and "${to}")`);
  }
  entries[from] = to;
}
