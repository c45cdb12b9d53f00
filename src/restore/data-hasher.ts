// Reads back what the target cloud now serves for restored resources and hashes it (sha256 with
// node:crypto), reusing the services' own export paths (services/<name>/export.ts through the
// optional `exportData` hook): image download, volume → snapshot → clone → upload → download,
// object GET. Nothing is stored: the "repository" of this export is a hash. Temporary snapshots,
// clones and images carry the usual backup temporary names and are deleted at the end (the
// backup sweeper finds them after a crash).
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { DataExportContext, ExportedStream } from '../../services/data-export.js';
import type { ServiceModule } from '../../services/module.js';
import { mapLimit } from '../../services/common/limit.js';
import { BackupTemporaries } from '../backup/temporaries.js';
import { newBackupId } from '../backup/temporary-naming.js';
import type { ResourceRecord } from '../model/resource.js';
import type { Session } from '../openstack/types.js';

export async function hashStream(stream: Readable): Promise<{ size: number; sha256: string; md5: string }> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  let size = 0;
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    sha.update(buf);
    md5.update(buf);
    size += buf.length;
  }
  return { size, sha256: sha.digest('hex'), md5: md5.digest('hex') };
}

export interface ServedData {
  /** Stream name (as the export names it, with the target's IDs) → sha256. */
  hashes: Map<string, string>;
  /** Resources whose data could not be read, with the reason. */
  failures: Array<{ kind: string; id: string; error: string }>;
}

/** sha256 of what the target serves for each of `records` (target inventory records). */
export async function hashServedData(session: Session, projectId: string, modules: ServiceModule[], records: ResourceRecord[], signal: AbortSignal): Promise<ServedData> {
  const runId = newBackupId();
  const temporaries = new BackupTemporaries(session, runId);
  const hashes = new Map<string, string>();
  const failures: ServedData['failures'] = [];
  const ctx: DataExportContext = {
    session,
    projectId,
    backupId: runId,
    async writeStream(name, data): Promise<ExportedStream> {
      const h = await hashStream(data);
      hashes.set(name, h.sha256);
      return { name, ...h };
    },
    temporaries,
    progress: { step: () => undefined },
    signal,
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
  return { hashes, failures };
}
