// Portable bundles: one tar stream with a snapshot and exactly the encrypted blobs it needs, in
// restore order, so that import can rebuild every stream sequentially from a pipe with bounded
// memory. Export needs no data key: blobs are copied still encrypted. Import opens them with the
// source repository's key slot carried in the bundle (protected by the source password) and writes
// the streams into the target repository with the target's keys (re-chunked, re-encrypted, and
// deduplicated against the target). Layout: docs/repository-format.md, "Bundles".
import { pipeline } from 'node:stream/promises';
import { Readable, type Writable } from 'node:stream';
import tar from 'tar-stream';
import { openBlob } from '../../streams/blob-crypto.js';
import { createStreamDigest, digestAlgFor, digestAlgOf, type StreamDigest } from '../../streams/stream-digest.js';
import { ExitCode, PermafrostError } from '../errors.js';
import { applyDelta } from './delta.js';
import { FORMAT_VERSION, KEYS_PREFIX, requireVersion } from './format.js';
import { readPackRange } from './pack-read.js';
import { listSlots, unlockWithPassphrase, unwrapDek, type KeySlot, type WrappedDek } from './keys.js';
import type { PermafrostRepository } from './repository.js';
import { openPrivate, openPublic, publicKeyFrom, recordedDigest, type SnapshotFile } from './snapshot-file.js';
import type { SnapshotInfo } from './types.js';

export const BUNDLE_FORMAT = 'permafrost-bundle';

interface BundleHeader {
  format: typeof BUNDLE_FORMAT;
  version: number;
  snapshot: string;
  sourceRepository: string;
}

/** Per stream: its map as [length, blobs in the chain (0 = zero run)] pairs, in stream order. */
interface BundleStream {
  mac: string;
  chunker: 'fixed' | 'cdc';
  size: number;
  entries: [number, number][];
}

export interface ExportReport {
  snapshot: string;
  streams: number;
  blobs: number;
  bytes: number;
}

function addEntry(pack: tar.Pack, name: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry({ name, size: data.length, mode: 0o600 }, data, (err) => (err ? reject(err) : resolve()));
  });
}

export interface ExportOptions {
  /** Called after each blob written: blobs done and the snapshot's total. */
  onProgress?: (done: number, total: number) => void;
}

export async function exportBundle(repo: PermafrostRepository, snapshotId: string, out: Writable, opts: ExportOptions = {}): Promise<ExportReport> {
  // Export only copies sealed bytes, but it is a reader's operation: a write-only host may not
  // carry snapshots out of the repository.
  repo.requireRead('export');
  const s = await repo.resolveSnapshot(snapshotId);
  const index = await repo.index();
  const reader = await repo.reader();
  const pack = tar.pack();
  const piping = pipeline(pack, out);
  const report: ExportReport = { snapshot: s.file.id, streams: 0, blobs: 0, bytes: 0 };
  try {
    const header: BundleHeader = { format: BUNDLE_FORMAT, version: FORMAT_VERSION, snapshot: s.file.id, sourceRepository: repo.config.id };
    await addEntry(pack, 'permafrost-bundle.json', Buffer.from(JSON.stringify(header)));
    for (const slot of await listSlots(repo.backend)) {
      if (slot.kind === 'passphrase') await addEntry(pack, `keys/${slot.id}.json`, Buffer.from(JSON.stringify(slot)));
    }
    await addEntry(pack, 'snapshot.json', Buffer.from(JSON.stringify(s.file)));
    // Data keys of every blob the snapshot needs, still wrapped.
    const deks: Record<string, WrappedDek> = {};
    const chainOf = (id: string): string[] => {
      const chain: string[] = [];
      for (let cur: string | undefined = id; cur; ) {
        const e = reader.locate(cur);
        chain.unshift(cur);
        if (e.key !== 'map') deks[e.key] ??= index.deks.get(e.key)!;
        cur = e.type === 'delta' ? e.base : undefined;
        if (chain.length > 64) throw new PermafrostError(`delta chain of ${id.slice(0, 16)}… is too long (damaged index)`, ExitCode.corrupted);
      }
      return chain;
    };
    const plans: { stream: BundleStream; chains: string[][] }[] = [];
    for (const stream of s.pub.streams) {
      const entries: [number, number][] = [];
      const chains: string[][] = [];
      for (const mapId of stream.maps) {
        for (const e of (await reader.mapSegment(mapId)).entries) {
          if (!e.id) {
            entries.push([e.length, 0]);
            continue;
          }
          const chain = chainOf(e.id.toString('hex'));
          entries.push([e.length, chain.length]);
          chains.push(chain);
        }
      }
      plans.push({ stream: { mac: stream.mac, chunker: stream.chunker, size: stream.size, entries }, chains });
    }
    await addEntry(pack, 'deks.json', Buffer.from(JSON.stringify(deks)));
    const totalBlobs = plans.reduce((n, p) => n + p.chains.reduce((m, c) => m + c.length, 0), 0);
    for (const [i, plan] of plans.entries()) {
      await addEntry(pack, `streams/${i}.json`, Buffer.from(JSON.stringify(plan.stream)));
      for (const chain of plan.chains) {
        for (const id of chain) {
          const e = reader.locate(id);
          const blob = await readPackRange(repo.backend, e.pack, e.offset, e.length);
          await addEntry(pack, `blobs/${e.type}/${e.key}/${id}`, blob);
          report.blobs++;
          report.bytes += blob.length;
          opts.onProgress?.(report.blobs, totalBlobs);
        }
      }
      report.streams++;
    }
    pack.finalize();
    await piping;
    return report;
  } catch (err) {
    pack.destroy(err as Error);
    // A failed write (ENOSPC, EIO) is the cause of whatever the tar stream reported.
    const writeError = await piping.then(() => undefined, (e: unknown) => e);
    throw writeError && (writeError as NodeJS.ErrnoException).code ? writeError : err;
  }
}

export interface ImportOptions {
  /** Password of the repository the bundle was exported from (its key slot travels in the bundle). */
  sourcePassword: string;
  onBytes?: (n: number) => void;
}

type Entry = { header: tar.Header; body: Buffer };

/**
 * Imports a bundle. Input that is not a whole permafrost bundle (random bytes, cut short, a tar
 * of something else) ends with exit 2 and a message, nothing imported; an unreadable input file
 * with its own exit code.
 */
export async function importBundle(target: PermafrostRepository, input: Readable, opts: ImportOptions): Promise<SnapshotInfo> {
  try {
    return await importEntries(target, input, opts);
  } catch (err) {
    if (err instanceof PermafrostError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PermafrostError(`cannot read the bundle: ${(err as Error).message}`, ExitCode.notFound, { cause: err });
    if (code === 'EACCES' || code === 'EPERM') throw new PermafrostError(`cannot read the bundle: ${(err as Error).message}`, ExitCode.forbidden, { cause: err });
    if (code === 'EISDIR') throw new PermafrostError(`cannot read the bundle: ${(err as Error).message}`, ExitCode.usage, { cause: err });
    throw new PermafrostError(`not a permafrost bundle, or damaged or cut short (${(err as Error).message}); nothing was imported`, ExitCode.usage, { cause: err });
  }
}

async function importEntries(target: PermafrostRepository, input: Readable, opts: ImportOptions): Promise<SnapshotInfo> {
  const extract = tar.extract();
  input.pipe(extract);
  input.on('error', (err) => extract.destroy(err));
  const it = extract[Symbol.asyncIterator]();
  const next = async (): Promise<Entry | undefined> => {
    const r = await it.next();
    if (r.done) return undefined;
    const parts: Buffer[] = [];
    for await (const p of r.value) parts.push(p as Buffer);
    return { header: r.value.header, body: Buffer.concat(parts) };
  };
  const expect = async (pattern: RegExp, what: string): Promise<Entry> => {
    const e = await next();
    if (!e || !pattern.test(e.header.name)) throw new PermafrostError(`not a permafrost bundle, or truncated: expected ${what}, found ${e ? `"${e.header.name}"` : 'the end'}`, ExitCode.usage);
    return e;
  };

  const head = JSON.parse((await expect(/^permafrost-bundle\.json$/, 'the bundle header')).body.toString('utf8')) as BundleHeader;
  if (head.format !== BUNDLE_FORMAT) throw new PermafrostError('not a permafrost bundle', ExitCode.usage);
  requireVersion('the bundle', head.version, 'the input');
  const slots: KeySlot[] = [];
  let e = await next();
  while (e && e.header.name.startsWith(KEYS_PREFIX)) {
    slots.push(JSON.parse(e.body.toString('utf8')) as KeySlot);
    e = await next();
  }
  if (!e || e.header.name !== 'snapshot.json') throw new PermafrostError('bundle is truncated: no snapshot.json', ExitCode.usage);
  const file = JSON.parse(e.body.toString('utf8')) as SnapshotFile;
  let source;
  try {
    source = unlockWithPassphrase(slots, opts.sourcePassword, 'the bundle').secrets;
  } catch (err) {
    if (err instanceof PermafrostError) {
      throw new PermafrostError('the bundle password is wrong: give the password of the repository the bundle was exported from (PERMAFROST_BUNDLE_PASSWORD or --bundle-password-file); nothing was imported', ExitCode.repository);
    }
    throw err;
  }
  const pub = openPublic(publicKeyFrom(source.idKey), file);
  const snapshotDek = unwrapDek(file.deks[file.dek], source.readerPrivateKey!);
  if (!snapshotDek) throw new PermafrostError('the bundle snapshot is not readable with its key slot', ExitCode.corrupted);
  const priv = openPrivate(snapshotDek, file);
  const wraps = JSON.parse((await expect(/^deks\.json$/, 'the data keys')).body.toString('utf8')) as Record<string, WrappedDek>;
  const dekCache = new Map<string, Buffer>();
  const dekOf = (id: string): Buffer => {
    let k = dekCache.get(id);
    if (!k) {
      k = unwrapDek(wraps[id] ?? [], source.readerPrivateKey!);
      if (!k) throw new PermafrostError(`bundle data key ${id.slice(0, 8)} is missing`, ExitCode.corrupted);
      dekCache.set(id, k);
    }
    return k;
  };
  const names = new Map<string, { kind: 'stream' | 'doc'; name: string; sha256?: string }>();
  for (const x of priv.streams) names.set(x.mac, { kind: 'stream', name: x.name, sha256: recordedDigest(x) || undefined });
  for (const d of priv.documents) names.set(d.mac, { kind: 'doc', name: d.name });

  const writer = await target.startSnapshot({ type: priv.type, tags: priv.tags, time: pub.time, onBytes: opts.onBytes });
  try {
    for (let i = 0; i < pub.streams.length; i++) {
      const plan = JSON.parse((await expect(/^streams\/\d+\.json$/, `stream ${i}`)).body.toString('utf8')) as BundleStream;
      const name = names.get(plan.mac);
      if (!name) throw new PermafrostError('bundle stream without a name in its manifest (damaged bundle)', ExitCode.corrupted);
      async function* content(): AsyncGenerator<Buffer> {
        for (const [length, chainLen] of plan.entries) {
          if (chainLen === 0) {
            yield Buffer.alloc(length);
            continue;
          }
          let chunk: Buffer | undefined;
          for (let k = 0; k < chainLen; k++) {
            const b = await expect(/^blobs\/(data|delta)\/[0-9a-f]+\/[0-9a-f]{64}$/, 'a chunk');
            const [, type, key, id] = b.header.name.split('/');
            let payload: Buffer;
            try {
              payload = openBlob(dekOf(key), Buffer.from(id, 'hex'), b.body);
            } catch (err) {
              throw new PermafrostError(`chunk ${id.slice(0, 16)}… of the bundle is damaged: ${(err as Error).message}`, ExitCode.corrupted);
            }
            chunk = type === 'delta' ? applyDelta(chunk!, payload) : payload;
          }
          if (chunk!.length !== length) throw new PermafrostError('bundle chunk has the wrong length (damaged bundle)', ExitCode.corrupted);
          yield chunk!;
        }
      }
      if (name.kind === 'doc') {
        const parts: Buffer[] = [];
        for await (const p of content()) parts.push(p);
        await writer.writeDocument(name.name, JSON.parse(Buffer.concat(parts).toString('utf8')));
      } else {
        // The recorded digest is checked in its own algorithm: the writer's digest when it is the
        // same one, else computed here (a fixed stream of an older snapshot records a plain SHA-256).
        const recorded = name.sha256 ? digestAlgOf(name.sha256) : undefined;
        const own: StreamDigest | undefined = recorded && recorded !== digestAlgFor(plan.chunker) ? createStreamDigest(recorded) : undefined;
        async function* digested(): AsyncGenerator<Buffer> {
          for await (const b of content()) {
            own?.update(b);
            yield b;
          }
        }
        const result = await writer.writeStream(name.name, Readable.from(own ? digested() : content()), { chunker: plan.chunker });
        const actual = own ? own.digest() : result.sha256;
        if (name.sha256 && actual !== name.sha256) {
          throw new PermafrostError(`stream "${name.name}" of the bundle does not match its recorded ${recorded} digest (damaged bundle); nothing was imported`, ExitCode.corrupted);
        }
      }
    }
    const info = await writer.commit();
    extract.destroy();
    return info;
  } catch (err) {
    await writer.abort();
    extract.destroy();
    throw err;
  }
}
