// Options of `npm run bench`: --quiet-clouds is off unless asked for, and the rest keep their defaults.
import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../bench/args.js';

describe('bench options', () => {
  it('pauses the local clouds only with --quiet-clouds', () => {
    expect(parseBenchArgs([]).quietClouds).toBe(false);
    const args = parseBenchArgs(['--quiet-clouds', '--size', '64M', '--rounds', '1', '--tools', 'permafrost']);
    expect(args).toMatchObject({ quietClouds: true, size: 64 * 2 ** 20, rounds: 1, tools: ['permafrost'], report: false });
  });
});
