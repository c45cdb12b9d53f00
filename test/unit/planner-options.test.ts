// Command-line inputs of the planner: --map rules, the mapping file, --only selectors.
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import type { ResourceRecord } from '../../src/model/resource.js';
import { mergeMappingRules, parseMapArgs, parseMappingFile, parseSelector } from '../../restore-plans/index.js';
import { selectorMatches } from '../../restore-plans/selectors.js';

function errorOf(fn: () => unknown): { message: string; exitCode: number } {
  try {
    fn();
  } catch (err) {
    return err as { message: string; exitCode: number };
  }
  throw new Error('no error');
}

describe('--map KIND:FROM=TO', () => {
  it('parses rules, aliases and empty targets', () => {
    expect(parseMapArgs(['flavor:m1.tiny=m1.small', 'az:nova=', 'volume-type:__DEFAULT__=fast', 'external-network:public=ext-net', 'image:demo=img=v2'])).toEqual({
      flavor: { 'm1.tiny': 'm1.small' },
      availability_zone: { nova: '' },
      volume_type: { __DEFAULT__: 'fast' },
      network: { public: 'ext-net' },
      image: { demo: 'img=v2' },
    });
  });

  it('rejects malformed values with a usage error that shows the form', () => {
    expect(errorOf(() => parseMapArgs(['m1.tiny=m1.small']))).toMatchObject({ exitCode: ExitCode.usage, message: expect.stringContaining('KIND:FROM=TO') });
    expect(errorOf(() => parseMapArgs(['colour:red=blue'])).message).toContain('unknown kind "colour"');
    expect(errorOf(() => parseMapArgs(['flavor:=x'])).message).toContain('is not KIND:FROM=TO');
    expect(errorOf(() => parseMapArgs(['flavor:a=b', 'flavor:a=c'])).message).toContain('mapped twice');
  });
});

describe('mapping file', () => {
  it('reads YAML and JSON, optionally under "mappings:", and the command line wins', () => {
    const yaml = 'flavor:\n  m1.tiny: small-1\n  m1.small: medium-2\nnetwork:\n  public: ext-net\naz:\n  nova: ~\n';
    const fromYaml = parseMappingFile(yaml, 'map.yaml');
    expect(fromYaml).toEqual({ flavor: { 'm1.tiny': 'small-1', 'm1.small': 'medium-2' }, network: { public: 'ext-net' }, availability_zone: { nova: '' } });
    expect(parseMappingFile('{"mappings": {"volume_type": {"__DEFAULT__": "ssd"}}}', 'map.json')).toEqual({ volume_type: { __DEFAULT__: 'ssd' } });
    const merged = mergeMappingRules(fromYaml, parseMapArgs(['flavor:m1.tiny=tiny-2']));
    expect(merged.flavor).toEqual({ 'm1.tiny': 'tiny-2', 'm1.small': 'medium-2' });
    expect(parseMappingFile('', 'empty.yaml')).toEqual({});
  });

  it('names the file and the problem', () => {
    expect(errorOf(() => parseMappingFile('flavor: [a, b]', 'map.yaml'))).toMatchObject({ exitCode: ExitCode.config, message: expect.stringContaining('map.yaml: flavor') });
    expect(errorOf(() => parseMappingFile('planets:\n  earth: mars\n', 'map.yaml')).message).toContain('unknown kind "planets"');
    expect(errorOf(() => parseMappingFile('flavor: {a: 1', 'map.yaml')).message).toContain('not valid YAML/JSON');
  });
});

describe('--only selectors', () => {
  const object: ResourceRecord = { kind: 'object', id: 'demo-container/dir/a.txt', name: 'dir/a.txt', fields: { name: 'dir/a.txt', container: 'demo-container' }, refs: [{ kind: 'container', id: 'demo-container', field: 'container' }], status: 'ok' };
  const server: ResourceRecord = { kind: 'server', id: '770bda60-81c0-4794-a90d-42ec5e5bbce5', name: 'web-1', fields: {}, refs: [], status: 'ok' };

  it('match by name, by ID, and objects by container/name', () => {
    expect(selectorMatches(parseSelector('server:web-1'), server)).toBe(true);
    expect(selectorMatches(parseSelector('server:770bda60-81c0-4794-a90d-42ec5e5bbce5'), server)).toBe(true);
    expect(selectorMatches(parseSelector('volume:web-1'), server)).toBe(false);
    expect(selectorMatches(parseSelector('object:demo-container/dir/a.txt'), object)).toBe(true);
    expect(selectorMatches(parseSelector('object:dir/a.txt'), object)).toBe(true);
    expect(parseSelector('volume-snapshot:snap-1')).toEqual({ kind: 'volume_snapshot', value: 'snap-1' });
  });

  it('reject what is not KIND:NAME', () => {
    expect(errorOf(() => parseSelector('web-1'))).toMatchObject({ exitCode: ExitCode.usage, message: expect.stringContaining('KIND:NAME') });
    expect(errorOf(() => parseSelector('vm:web-1')).message).toContain('unknown kind "vm"');
    expect(errorOf(() => parseSelector('server:')).message).toContain('KIND:NAME');
  });
});
