// `repo repair config`: writes a new `config` when it is damaged or missing but the repository's
// key slots are there. The password proves it is this repository; the parameters a reader needs
// are constants (block size) or recorded per blob, and the fixed chunk size — which decides whether
// new backups deduplicate against the old ones — is taken from the stored chunks. The damaged file
// is kept under lost/config.
import { ExitCode, PermafrostError } from '../../errors.js';
import { openBackend } from '../backends/index.js';
import { BlobIndex } from '../blob-index.js';
import { newConfig, readConfig, type RepoConfig } from '../config.js';
import { CONFIG_KEY } from '../format.js';
import { readSlots, unlockWithPassphrase } from '../keys.js';
import { moveAside } from './lost-files.js';

export interface ConfigRepairReport {
  /** false when the config was intact (nothing written). */
  rewritten: boolean;
  config: RepoConfig;
}

export async function repairConfig(url: string, password: string): Promise<ConfigRepairReport> {
  const backend = await openBackend(url);
  try {
    try {
      return { rewritten: false, config: await readConfig(backend) };
    } catch (err) {
      if (!(err instanceof PermafrostError) || err.exitCode !== ExitCode.repository || /upgrade permafrost/.test(err.message)) throw err;
    }
    const { slots, damaged } = await readSlots(backend);
    if (slots.length === 0 && damaged.length === 0) {
      throw new PermafrostError(`${backend.location} has no key slots either: it is not a permafrost repository (nothing was written)`, ExitCode.repository);
    }
    const { secrets } = unlockWithPassphrase(slots, password, backend.location, damaged);
    const index = await BlobIndex.load(backend, secrets.idKey);
    // The largest fixed-scheme chunk is the chunk size (a stream's last chunk may be shorter).
    let fixedChunkSize = 0;
    for (const b of index.entries()) if (b.scheme === 'fixed' && b.type !== 'map') fixedChunkSize = Math.max(fixedChunkSize, b.raw);
    const config = newConfig(fixedChunkSize > 0 ? { fixedChunkSize } : {});
    if (await backend.stat(CONFIG_KEY)) await moveAside(backend, CONFIG_KEY);
    await backend.put(CONFIG_KEY, Buffer.from(JSON.stringify(config, null, 2)));
    return { rewritten: true, config };
  } finally {
    await backend.close();
  }
}
