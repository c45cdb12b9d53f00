// Collects sealed blobs into packs of about `targetSize` bytes. At flush the blobs are put in a
// random order (so the layout does not reveal the order or sizes of a stream's chunks), the pack is
// uploaded with its trailer (its own sealed index), then its index file — a pack becomes usable for
// dedup only once both exist.
// Memory: one filling pack buffer plus one per upload in flight (`maxUploads`), reused from pack to
// pack: each blob is copied into the filling buffer when it arrives. At the cut, a backend with
// putParts (local files: writev) writes the blobs in the shuffled order straight from the filling
// buffer, which then goes to the upload; other backends get one buffer, copied in that order.
import crypto from 'node:crypto';
import type { Backend } from './types.js';
import { FORMAT_VERSION, packKey, randomId } from './format.js';
import { type BlobEntry, type BlobIndex, type PackIndexFile, writePackIndex } from './blob-index.js';
import { buildTrailer } from './pack-trailer.js';
import type { WrappedDek } from './keys.js';
import { copyBytes } from '../../streams/copy-bytes.js';

export type PendingBlob = Omit<BlobEntry, 'offset' | 'length'> & { data: Uint8Array };
type Placed = Omit<BlobEntry, 'offset' | 'length'> & { at: number; length: number };

/**
 * Reusable byte buffers (the filling pack, packs being uploaded): a backup allocates them once
 * instead of one 16 MiB buffer per pack. Keeps at most `keep` spare buffers.
 */
class BufferStock {
  private readonly free: Buffer[] = [];
  constructor(private readonly keep: number) {}
  take(min: number): Buffer {
    const i = this.free.findIndex((b) => b.length >= min);
    if (i >= 0) return this.free.splice(i, 1)[0];
    return Buffer.allocUnsafeSlow(min);
  }
  give(b: Buffer): void {
    this.free.push(b);
    // Keep the largest ones.
    if (this.free.length > this.keep) this.free.sort((x, y) => y.length - x.length).length = this.keep;
  }
  clear(): void {
    this.free.length = 0;
  }
}

/**
 * Packs written but not yet durable (fsync running) besides the uploads holding a buffer: the
 * backup goes on filling the next pack meanwhile; they cost page cache, not process memory.
 */
const MAX_SYNCING = 3;

/**
 * Packs whose upload may still read their buffer while the next one fills. With one, the seals
 * wait for the previous pack's direct write to finish reading its buffer while holding their ring
 * regions, and the workers run dry; a second buffer costs little memory, as it is touched only
 * while two writes overlap.
 */
const DEFAULT_MAX_UPLOADS = 2;

export class PackWriter {
  private current: Placed[] = [];
  private fill: Buffer | undefined;
  private currentBytes = 0;
  private readonly stock: BufferStock;
  /** Uploads until durable and indexed. */
  private readonly uploads = new Set<Promise<void>>();
  /** Uploads still reading their buffer (a local pack: until written, not until fsync'd). */
  private readonly holding = new Set<Promise<void>>();
  private failure: unknown;
  bytesStored = 0;
  packsWritten = 0;

  constructor(
    private readonly backend: Backend,
    private readonly index: BlobIndex,
    private readonly deks: Record<string, WrappedDek>,
    private readonly targetSize: number,
    private readonly maxUploads = DEFAULT_MAX_UPLOADS,
  ) {
    this.stock = new BufferStock(maxUploads + 1);
  }

  /**
   * Adds a blob: its bytes are copied by the time the promise resolves (the caller may then reuse
   * `data`). Waits while the filling pack is full and the previous one is still uploading
   * (back-pressure), so the filling buffer never holds more than a pack plus one blob.
   */
  async add(blob: PendingBlob): Promise<void> {
    if (this.failure) throw this.failure;
    // With putParts the filling buffer goes to the upload at the cut: a blob that does not fit in it
    // cuts the pack a little early rather than growing the buffer (a grown buffer would not be the
    // one reused next, and the stock would fill with buffers of every size: +20-40 MiB RSS with CDC).
    const fits = (): boolean => !this.backend.putParts || !this.fill || this.currentBytes === 0 || this.currentBytes + blob.data.length <= this.fill.length;
    while (this.currentBytes >= this.targetSize || !fits()) {
      await this.cut();
      if (this.failure) throw this.failure;
    }
    const { data, ...meta } = blob;
    const need = this.currentBytes + data.length;
    if (!this.fill || this.fill.length < need) {
      const bigger = this.stock.take(Math.max(need, this.targetSize + (1 << 20)));
      if (this.fill) {
        this.fill.copy(bigger, 0, 0, this.currentBytes);
        this.stock.give(this.fill);
      }
      this.fill = bigger;
    }
    // A sealed blob usually lies in the backup ring (shared memory): memcpy, not V8's relaxed copy.
    copyBytes(data, this.fill, this.currentBytes);
    this.current.push({ ...meta, at: this.currentBytes, length: data.length });
    this.currentBytes = need;
    if (this.currentBytes >= this.targetSize) await this.cut();
  }

  private async cut(): Promise<void> {
    if (this.current.length === 0) return;
    while (this.holding.size >= this.maxUploads) await Promise.race(this.holding);
    while (this.uploads.size >= this.maxUploads + MAX_SYNCING) await Promise.race(this.uploads);
    if (this.failure) throw this.failure;
    // Concurrent add()s (several seals finishing) may have added blobs, or another cut() may have
    // taken them, while we waited: take the state as it is now.
    const all = this.current;
    const total = this.currentBytes;
    if (all.length === 0 || !this.fill) return;
    this.current = [];
    this.currentBytes = 0;
    // Fisher–Yates with a CSPRNG: the order inside a pack carries no information.
    for (let i = all.length - 1; i > 0; i--) {
      const j = crypto.randomInt(i + 1);
      [all[i], all[j]] = [all[j], all[i]];
    }
    const entries: BlobEntry[] = [];
    let offset = 0;
    for (const b of all) {
      const { at, length, ...meta } = b;
      entries.push({ ...meta, offset, length });
      offset += length;
    }
    // The pack's own index travels at its end (pack-trailer.ts): one small sealed blob per pack.
    const file = this.indexFile(randomId(32), entries);
    const trailer = buildTrailer(this.index.key, file);
    if (this.backend.putParts) {
      const fill = this.fill;
      this.fill = undefined; // the next add() takes another buffer from the stock
      const parts = all.map((b) => fill.subarray(b.at, b.at + b.length));
      parts.push(trailer);
      this.track((written) => this.upload(file, parts, offset + trailer.length, written), fill, entries);
      return;
    }
    const body = this.stock.take(Math.max(total + trailer.length, this.targetSize + (1 << 20)));
    for (const [i, b] of all.entries()) this.fill.copy(body, entries[i].offset, b.at, b.at + b.length);
    trailer.copy(body, offset);
    this.track((written) => this.upload(file, body.subarray(0, offset + trailer.length), offset + trailer.length, written), body, entries);
  }

  private indexFile(packId: string, entries: BlobEntry[]): PackIndexFile {
    const usedDeks: Record<string, WrappedDek> = {};
    for (const e of entries) if (e.key !== 'map' && this.deks[e.key]) usedDeks[e.key] = this.deks[e.key];
    return { version: FORMAT_VERSION, pack: packId, deks: usedDeks, blobs: entries };
  }

  /**
   * Tracks an upload; `buffer` goes back to the stock as soon as the upload no longer reads it
   * (`written`, or the end of the upload), which may be before the pack is durable.
   */
  private track(start: (written: () => void) => Promise<void>, buffer: Buffer, entries: BlobEntry[]): void {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let given = false;
    const giveBack = (): void => {
      if (given) return;
      given = true;
      this.holding.delete(released);
      this.stock.give(buffer);
      release();
    };
    this.holding.add(released);
    const p: Promise<void> = start(giveBack).then(
      () => {
        this.uploads.delete(p);
        giveBack();
      },
      (err) => {
        this.uploads.delete(p);
        giveBack();
        this.failure ??= err;
        for (const e of entries) this.index.release(e.id);
      },
    );
    this.uploads.add(p);
  }

  private async upload(file: PackIndexFile, body: Buffer | Buffer[], packBytes: number, written: () => void): Promise<void> {
    if (Buffer.isBuffer(body)) await this.backend.put(packKey(file.pack), body);
    else await this.backend.putParts!(packKey(file.pack), body, written);
    const indexBytes = await writePackIndex(this.backend, this.index.key, file);
    this.index.addPack(file);
    this.bytesStored += packBytes + indexBytes;
    this.packsWritten++;
  }

  /** Uploads the partly filled pack and waits for every upload; throws the first upload error. */
  async flush(): Promise<void> {
    await this.cut();
    while (this.uploads.size > 0) await Promise.race(this.uploads);
    if (this.failure) throw this.failure;
    // Nothing is in flight: the buffers can go (a writer may stay open between snapshots).
    this.fill = undefined;
    this.stock.clear();
  }
}
