// Collects sealed blobs into packs of about `targetSize` bytes. At flush the blobs are put in a
// random order (so the layout does not reveal the order or sizes of a stream's chunks), the pack is
// uploaded, then its index file — a pack becomes usable for dedup only once both exist.
// Memory: one filling pack plus at most `maxUploads` packs being uploaded.
import crypto from 'node:crypto';
import type { Backend } from './types.js';
import { packKey, randomId } from './format.js';
import { type BlobEntry, type BlobIndex, writePackIndex } from './blob-index.js';
import type { WrappedDek } from './keys.js';

export type PendingBlob = Omit<BlobEntry, 'offset' | 'length'> & { data: Buffer };

export class PackWriter {
  private current: PendingBlob[] = [];
  private currentBytes = 0;
  private readonly uploads = new Set<Promise<void>>();
  private failure: unknown;
  bytesStored = 0;
  packsWritten = 0;

  constructor(
    private readonly backend: Backend,
    private readonly index: BlobIndex,
    private readonly deks: Record<string, WrappedDek>,
    private readonly targetSize: number,
    private readonly maxUploads = 1,
  ) {}

  /** Adds a blob; waits when enough packs are already uploading (back-pressure). */
  async add(blob: PendingBlob): Promise<void> {
    if (this.failure) throw this.failure;
    this.current.push(blob);
    this.currentBytes += blob.data.length;
    if (this.currentBytes >= this.targetSize) await this.cut();
  }

  private async cut(): Promise<void> {
    const blobs = this.current;
    this.current = [];
    this.currentBytes = 0;
    if (blobs.length === 0) return;
    while (this.uploads.size >= this.maxUploads) await Promise.race(this.uploads);
    if (this.failure) throw this.failure;
    const p: Promise<void> = this.upload(blobs).then(
      () => {
        this.uploads.delete(p);
      },
      (err) => {
        this.uploads.delete(p);
        this.failure ??= err;
        for (const b of blobs) this.index.release(b.id);
      },
    );
    this.uploads.add(p);
  }

  private async upload(blobs: PendingBlob[]): Promise<void> {
    // Fisher–Yates with a CSPRNG: the order inside a pack carries no information.
    for (let i = blobs.length - 1; i > 0; i--) {
      const j = crypto.randomInt(i + 1);
      [blobs[i], blobs[j]] = [blobs[j], blobs[i]];
    }
    const packId = randomId(32);
    const entries: BlobEntry[] = [];
    let offset = 0;
    for (const b of blobs) {
      const { data, ...meta } = b;
      entries.push({ ...meta, offset, length: data.length });
      offset += data.length;
    }
    const body = Buffer.concat(blobs.map((b) => b.data), offset);
    blobs.length = 0;
    await this.backend.put(packKey(packId), body);
    const usedDeks: Record<string, WrappedDek> = {};
    for (const e of entries) if (e.key !== 'map' && this.deks[e.key]) usedDeks[e.key] = this.deks[e.key];
    const file = { version: 1, pack: packId, deks: usedDeks, blobs: entries };
    const indexBytes = await writePackIndex(this.backend, this.index.key, file);
    this.index.addPack(file);
    this.bytesStored += body.length + indexBytes;
    this.packsWritten++;
  }

  /** Uploads the partly filled pack and waits for every upload; throws the first upload error. */
  async flush(): Promise<void> {
    await this.cut();
    while (this.uploads.size > 0) await Promise.race(this.uploads);
    if (this.failure) throw this.failure;
  }
}
