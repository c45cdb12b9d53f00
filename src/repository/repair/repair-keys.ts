// `repo repair keys`: moves damaged key slot files to lost/keys/ (the repository was just opened
// with an intact one), and rewrites a damaged or missing keys/recipients with the reader key.
// Public keys added with `repo key add --public-key` were recipients too, but the recipients file
// is their only copy: the report names their slots so that they can be added again.
import crypto from 'node:crypto';
import { ExitCode, PermafrostError } from '../../errors.js';
import { loadRecipients, readSlots, saveRecipients } from '../keys.js';
import { RepoLock } from '../locks.js';
import type { PermafrostRepository } from '../repository.js';
import { moveAside } from './lost-files.js';

export interface KeyRepairReport {
  /** Damaged key slot files moved to lost/keys/. */
  slotsRemoved: { key: string; reason: string }[];
  recipientsRewritten: boolean;
  /** Public key slots whose key is no longer a recipient (to add again with `repo key add --public-key`). */
  publicKeysToAddAgain: string[];
}

export async function repairKeys(repo: PermafrostRepository): Promise<KeyRepairReport> {
  repo.requireRead('repo repair keys');
  const backend = repo.backend;
  const lock = await RepoLock.acquire(backend, true, 'repo repair keys');
  try {
    const { slots, damaged } = await readSlots(backend);
    const report: KeyRepairReport = { slotsRemoved: [], recipientsRewritten: false, publicKeysToAddAgain: [] };
    if (damaged.length > 0 && !slots.some((s) => s.kind === 'passphrase')) {
      throw new PermafrostError('no intact password key slot would remain: nothing was removed', ExitCode.repository);
    }
    for (const d of damaged) {
      await moveAside(backend, d.key);
      report.slotsRemoved.push(d);
    }
    try {
      await loadRecipients(backend, repo.secrets.idKey);
    } catch (err) {
      if (!(err instanceof PermafrostError) || err.exitCode !== ExitCode.corrupted) throw err;
      await saveRecipients(backend, repo.secrets.idKey, [crypto.createPublicKey(repo.secrets.readerPublicPem)]);
      report.recipientsRewritten = true;
      report.publicKeysToAddAgain = slots.filter((s) => s.kind === 'public').map((s) => s.id);
    }
    return report;
  } finally {
    await lock.release();
  }
}
