// Reads back what the target cloud now serves for restored resources and hashes it with the
// stream digest a backup records for it (streams/stream-digest.ts: the 4 KiB block tree for
// fixed-chunker streams — images, volumes — plain SHA-256 for objects), reusing the services' own export paths (services/<name>/export.ts through the
// optional `exportData` hook): image download, volume → snapshot → clone → upload → download,
// object GET. Nothing is stored: the "repository" of this export is a hash. Temporary snapshots,
// clones and images carry the usual backup temporary names and are deleted at the end (the
// backup sweeper finds them after a crash).
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { createStreamDigest, digestAlgFor, type StreamDigestAlg } from '../../streams/stream-digest.js';
import type { DataExportContext, ExportedStream } from '../../services/data-export.js';
import type { ServiceModule } from '../../services/module.js';
import { mapLimit } from '../../services/common/limit.js';
import { BackupTemporaries } from '../backup/temporaries.js';
import { newBackupId } from '../backup/temporary-naming.js';
import type { ResourceRecord } from '../model/resource.js';
import type { Session } from '../openstack/types.js';

/**
 * Size, stream digest (`alg`, as a manifest records it), md5 and, when `alg` is not plain
 * SHA-256, the plain SHA-256 too (`plainSha256`, to compare with snapshots older than the block tree).
 */
export async function hashStream(stream: Readable, alg: StreamDigestAlg = 'sha256'): Promise<{ size: number; sha256: string; md5: string; plainSha256: string }> {
  const digest = createStreamDigest(alg);
  const plain = alg === 'sha256' ? undefined : createHash('sha256');
  const md5 = createHash('md5');
  let size = 0;
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    digest.update(buf);
    plain?.update(buf);
    md5.update(buf);
    size += buf.length;
  }
  const sha256 = digest.digest();
  return { size, sha256, md5: md5.digest('hex'), plainSha256: plain ? plain.digest('hex') : sha256 };
}

export interface ServedData {
  /**
   * Stream name (as the export names it, with the target's IDs) → its stream digest, in the
   * algorithm a backup records for that stream now (compare with digestAlgOf of the recorded one).
   */
  hashes: Map<string, string>;
  /** Stream name → plain SHA-256 (what snapshots older than the block tree recorded for every stream). */
  plainHashes: Map<string, string>;
  /** Resources whose data could not be read, with the reason. */
  failures: Array<{ kind: string; id: string; error: string }>;
}

/** sha256 of what the target serves for each of `records` (target inventory records). */
export async function hashServedData(session: Session, projectId: string, modules: ServiceModule[], records: ResourceRecord[], signal: AbortSignal): Promise<ServedData> {
  const runId = newBackupId();
  const temporaries = new BackupTemporaries(session, runId);
  const hashes = new Map<string, string>();
  const plainHashes = new Map<string, string>();
  const failures: ServedData['failures'] = [];
  const ctx: DataExportContext = {
    session,
    projectId,
    backupId: runId,
    async writeStream(name, data, opts): Promise<ExportedStream> {
      const h = await hashStream(data, digestAlgFor(opts.chunker));
      hashes.set(name, h.sha256);
      plainHashes.set(name, h.plainSha256);
      return { name, size: h.size, sha256: h.sha256, md5: h.md5 };
    },
    temporaries,
    progress: { step: () => undefined },
    signal,
    // the volume snapshots among `records` are read too (only those whose data was restored are passed)
    options: { snapshotData: true },
  };
  try {
    const jobs = (await Promise.all(modules.filter((m) => m.exportData).map((m) => m.exportData!(ctx, records.filter((r) => m.kinds.includes(r.kind)))))).flat();
    await mapLimit(jobs, 4, async (job) => {
      try {
        await job.capture?.();
      } catch (err) {
        failures.push({ kind: job.kind, id: job.id, error: (err as Error).message });
      }
    });
    await mapLimit(jobs, 2, async (job) => {
      try {
        await job.transfer();
      } catch (err) {
        failures.push({ kind: job.kind, id: job.id, error: (err as Error).message });
      }
    });
  } finally {
    await temporaries.releaseAll();
  }
  return { hashes, plainHashes, failures };
}
