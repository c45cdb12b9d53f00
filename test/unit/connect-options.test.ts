import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addCloudOptions, type CloudCommandOptions } from '../../src/openstack/connect.js';

function parse(args: string[]): CloudCommandOptions {
  const program = new Command('permafrost').exitOverride().option('--debug');
  let seen: CloudCommandOptions = {};
  const cmd = program.command('probe').exitOverride();
  addCloudOptions(cmd).action((_o, c: Command) => {
    seen = c.optsWithGlobals<CloudCommandOptions>();
  });
  program.parse(['node', 'permafrost', ...args]);
  return seen;
}

describe('addCloudOptions', () => {
  it('defines the common cloud options', () => {
    expect(parse(['--debug', 'probe', '--os-cloud', 'mine', '--os-region-name', 'R2', '--os-interface', 'internal', '--os-cacert', '/ca.pem', '--insecure'])).toEqual({
      debug: true,
      osCloud: 'mine',
      osRegionName: 'R2',
      osInterface: 'internal',
      osCacert: '/ca.pem',
      insecure: true,
    });
    expect(parse(['probe'])).toEqual({});
  });
  it('rejects an unknown interface', () => {
    expect(() => parse(['probe', '--os-interface', 'private'])).toThrow(/Allowed choices are public, internal, admin/);
  });
});
