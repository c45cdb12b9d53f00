// The documentation stays a user's documentation: a README short enough to read, relative links
// that lead somewhere, and no text in the tree that tells the history of its own making (that
// lives in git and in docs/benchmarks.md's dated figures).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const README_MAX_LINES = 400;
/**
 * Stage-of-development wording: numbered sessions, one machine, abandoned experiments. The
 * brackets keep this line itself from matching a plain-text search for the same words.
 */
const HISTORY = /sessio[n] [0-9]|sessions? [0-9]+-[0-9]|this V[M]|measured and no[t] kept|as of sessio[n]/i;

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
}

function docFiles(): string[] {
  return trackedFiles().filter((f) => f === 'README.md' || (f.startsWith('docs/') && f.endsWith('.md')));
}

/** Relative link targets of a Markdown file, outside code blocks. */
function relativeLinks(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l) && !l.startsWith('#'));
}

describe('documentation', () => {
  it(`keeps the README within ${README_MAX_LINES} lines`, () => {
    const lines = readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n').length;
    expect(lines).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it('has every relative link of README.md and docs/*.md point at an existing file', () => {
    const broken: string[] = [];
    for (const file of docFiles()) {
      for (const link of relativeLinks(readFileSync(path.join(ROOT, file), 'utf8'))) {
        const target = path.join(ROOT, path.dirname(file), decodeURIComponent(link.split('#')[0]));
        if (!existsSync(target)) broken.push(`${file}: ${link}`);
      }
    }
    expect(docFiles().length).toBeGreaterThan(1);
    expect(broken).toEqual([]);
  });

  it('holds no development-history wording anywhere in the tree', () => {
    const found: string[] = [];
    for (const file of trackedFiles()) {
      if (!existsSync(path.join(ROOT, file))) continue;
      const text = readFileSync(path.join(ROOT, file));
      if (text.includes(0)) continue; // binary
      text
        .toString('utf8')
        .split('\n')
        .forEach((line, i) => {
          if (HISTORY.test(line)) found.push(`${file}:${i + 1}: ${line.trim().slice(0, 100)}`);
        });
    }
    expect(found).toEqual([]);
  });
});
