// A pass-through that measures what flows from the cloud into the repository: byte count (for
// progress bars and the "bytes read" figure) and md5 (Glance `checksum` and Swift `etag` are
// md5, so the export can prove the repository got exactly what the cloud served). The sha256
// comes from the repository itself.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export class MeteredStream extends Transform {
  private readonly md5 = createHash('md5');
  bytes = 0;

  constructor(private readonly onBytes: (n: number) => void = () => {}) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.md5.update(chunk);
    this.bytes += chunk.length;
    this.onBytes(chunk.length);
    done(null, chunk);
  }

  /** Hex md5 of everything that passed; call once the stream has ended. */
  digest(): string {
    return this.md5.digest('hex');
  }
}
