// The benchmark workload, deterministic from a seed and a size:
//   day1.img   a VM-disk-like image: extents of varying size, ≈40 % zeros (left as holes, like a
//              sparse raw disk), ≈30 % incompressible bytes, ≈30 % log-like text;
//   day2.img   day1 with 1 % of its 4 KiB blocks rewritten at scattered offsets + one 16 MiB region;
//   insert.img day1 with 1 KiB inserted near the start (everything after it shifts).
// The files are generated once per (seed, size) and reused by later runs (workload.json records
// the parameters and the sha256 of each file).
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { LogTextGenerator, buildLinePool } from './log-text.js';
import { Keystream, Prng } from './prng.js';

export type ExtentKind = 'zero' | 'random' | 'text';
export interface Extent {
  offset: number;
  length: number;
  kind: ExtentKind;
}

export interface WorkloadPlan {
  seed: string;
  size: number;
  extents: Extent[];
  /** Indices of the 4 KiB blocks rewritten on day 2, ascending. */
  day2Blocks: number[];
  day2Region: { offset: number; length: number };
  insertAt: number;
  insertLength: number;
}

export interface WorkloadFiles {
  dir: string;
  day1: string;
  day2: string;
  insert: string;
  plan: Omit<WorkloadPlan, 'extents' | 'day2Blocks'>;
  bytesByKind: Record<ExtentKind, number>;
  /** Bytes that really changed between day1 and day2 (rewritten blocks + region, overlaps counted once). */
  day2ChangedBytes: number;
  sha256: { day1: string; day2: string; insert: string };
  generationSeconds: number;
}

const BLOCK = 4096;
const MiB = 1024 * 1024;
const PIECE = 4 * MiB;
const FORMAT_VERSION = 1;

export function planWorkload(seed: string, size: number): WorkloadPlan {
  if (size % BLOCK !== 0 || size < 16 * MiB) throw new Error('workload size must be a multiple of 4 KiB and at least 16 MiB');
  const rng = new Prng(`${seed}/plan`);
  const extents: Extent[] = [];
  // Extent lengths are log-uniform between 64 KiB and 16 MiB (in 4 KiB units): many small files'
  // worth of blocks, some large ones, as on a real file system image.
  const minLog = Math.log(64 * 1024);
  const maxLog = Math.log(Math.min(16 * MiB, size / 8));
  let offset = 0;
  while (offset < size) {
    const want = Math.exp(minLog + rng.next() * (maxLog - minLog));
    let length = Math.max(BLOCK, Math.round(want / BLOCK) * BLOCK);
    length = Math.min(length, size - offset);
    const r = rng.next();
    const kind: ExtentKind = r < 0.4 ? 'zero' : r < 0.7 ? 'random' : 'text';
    extents.push({ offset, length, kind });
    offset += length;
  }
  const blocks = size / BLOCK;
  const chosen = new Set<number>();
  const target = Math.round(blocks * 0.01);
  while (chosen.size < target) chosen.add(rng.int(0, blocks - 1));
  const regionLength = Math.min(16 * MiB, Math.floor(size / 16 / BLOCK) * BLOCK);
  const regionOffset = rng.int(0, (size - regionLength) / BLOCK) * BLOCK;
  return {
    seed,
    size,
    extents,
    day2Blocks: [...chosen].sort((a, b) => a - b),
    day2Region: { offset: regionOffset, length: regionLength },
    // "Near the start", not block-aligned: fixed-size chunking would lose every following chunk.
    insertAt: Math.min(5 * MiB + 777, Math.floor(size / 4)),
    insertLength: 1024,
  };
}

/** The content of a non-zero extent, in pieces of at most 4 MiB. */
function* extentPieces(seed: string, pool: Buffer[], e: Extent): Generator<Buffer> {
  if (e.kind === 'random') {
    const ks = new Keystream(seed, `extent@${e.offset}`);
    for (let done = 0; done < e.length; done += PIECE) yield ks.take(Math.min(PIECE, e.length - done));
  } else if (e.kind === 'text') {
    // Each text extent continues a log at a time derived from its position in the image.
    const gen = new LogTextGenerator(pool, new Prng(`${seed}/text@${e.offset}`), Date.UTC(2026, 0, 1) + e.offset / 64);
    for (let done = 0; done < e.length; done += PIECE) yield gen.take(Math.min(PIECE, e.length - done));
  }
}

/**
 * Writes the image; zero extents are left as holes. With `insertion`, `insertion.bytes` are put at
 * `insertion.at` and everything from there on moves up by their length.
 */
async function writeImage(file: string, plan: WorkloadPlan, insertion?: { at: number; bytes: Buffer }): Promise<void> {
  const pool = buildLinePool(plan.seed);
  const fh = await fs.open(file, 'w');
  try {
    const shift = (pos: number): number => (insertion && pos >= insertion.at ? pos + insertion.bytes.length : pos);
    for (const e of plan.extents) {
      let pos = e.offset;
      for (const piece of extentPieces(plan.seed, pool, e)) {
        if (insertion && pos < insertion.at && pos + piece.length > insertion.at) {
          const cut = insertion.at - pos;
          await fh.write(piece, 0, cut, pos);
          await fh.write(piece, cut, piece.length - cut, shift(insertion.at));
        } else {
          await fh.write(piece, 0, piece.length, shift(pos));
        }
        pos += piece.length;
      }
    }
    if (insertion) await fh.write(insertion.bytes, 0, insertion.bytes.length, insertion.at);
    await fh.truncate(plan.size + (insertion?.bytes.length ?? 0));
  } finally {
    await fh.close();
  }
}

async function writeDay2(day1: string, file: string, plan: WorkloadPlan): Promise<void> {
  // A sparse copy keeps the holes; then the day-2 writes land on it.
  execFileSync('cp', ['--sparse=always', '--reflink=auto', day1, file]);
  const fh = await fs.open(file, 'r+');
  try {
    const ks = new Keystream(plan.seed, 'day2-blocks');
    // Group neighbouring blocks into one write (rare with 1 % scattered, but cheap).
    for (const b of plan.day2Blocks) await fh.write(ks.take(BLOCK), 0, BLOCK, b * BLOCK);
    const region = new Keystream(plan.seed, 'day2-region').take(plan.day2Region.length);
    await fh.write(region, 0, region.length, plan.day2Region.offset);
  } finally {
    await fh.close();
  }
}

/**
 * Reads a file into the page cache right before a tool reads it. Needed because some virtual
 * machines evict cold page cache on their own (a DAMON "pageout" scheme, even with memory free),
 * so an input warmed at the start of a round could be half on disk by the time the third tool
 * reads it.
 */
export async function warmFile(file: string): Promise<void> {
  for await (const _ of createReadStream(file, { highWaterMark: 4 * MiB })) {
    // reading is the point
  }
}

/** warmFile for every file under `dir` (a repository before its restore is measured). */
export async function warmTree(dir: string): Promise<void> {
  for (const e of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) await warmFile(path.join(e.parentPath, e.name));
  }
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * MiB })) h.update(chunk as Buffer);
  return h.digest('hex');
}

function summarise(plan: WorkloadPlan): Pick<WorkloadFiles, 'bytesByKind' | 'day2ChangedBytes' | 'plan'> {
  const bytesByKind: Record<ExtentKind, number> = { zero: 0, random: 0, text: 0 };
  for (const e of plan.extents) bytesByKind[e.kind] += e.length;
  const r = plan.day2Region;
  const outside = plan.day2Blocks.filter((b) => b * BLOCK + BLOCK <= r.offset || b * BLOCK >= r.offset + r.length).length;
  const { extents: _e, day2Blocks: _b, ...rest } = plan;
  return { bytesByKind, day2ChangedBytes: outside * BLOCK + r.length, plan: rest };
}

/** Generates the workload in `dir` unless a complete one for the same seed and size is there. */
export async function ensureWorkload(dir: string, seed: string, size: number, log: (msg: string) => void): Promise<WorkloadFiles> {
  await fs.mkdir(dir, { recursive: true });
  const meta = path.join(dir, 'workload.json');
  const files = { day1: path.join(dir, 'day1.img'), day2: path.join(dir, 'day2.img'), insert: path.join(dir, 'insert.img') };
  const previous = await fs
    .readFile(meta, 'utf8')
    .then((t) => JSON.parse(t) as WorkloadFiles & { version: number })
    .catch(() => undefined);
  if (previous && previous.version === FORMAT_VERSION && previous.plan.seed === seed && previous.plan.size === size) {
    const sizes = await Promise.all(Object.values(files).map((f) => fs.stat(f).then((s) => s.size, () => -1)));
    if (sizes[0] === size && sizes[1] === size && sizes[2] === size + previous.plan.insertLength) {
      log(`workload: reusing ${dir} (seed ${seed}, ${size} bytes)`);
      return { ...previous, dir, ...files };
    }
  }
  const t0 = process.hrtime.bigint();
  const plan = planWorkload(seed, size);
  log(`workload: generating ${size / MiB} MiB images in ${dir} (${plan.extents.length} extents)`);
  await fs.rm(meta, { force: true });
  await writeImage(files.day1, plan);
  await writeDay2(files.day1, files.day2, plan);
  const inserted = new Keystream(seed, 'insertion').take(plan.insertLength);
  await writeImage(files.insert, plan, { at: plan.insertAt, bytes: inserted });
  const generationSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  log(`workload: generated in ${generationSeconds.toFixed(1)} s; hashing`);
  const sha256 = {
    day1: await sha256File(files.day1),
    day2: await sha256File(files.day2),
    insert: await sha256File(files.insert),
  };
  const result: WorkloadFiles = { dir, ...files, ...summarise(plan), sha256, generationSeconds };
  await fs.writeFile(meta, JSON.stringify({ version: FORMAT_VERSION, ...result }, null, 2));
  return result;
}
