// `repo key add/remove/list`: managing key slots of an open repository (password holders only).
import crypto from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ExitCode, PermafrostError } from '../errors.js';
import { KEYS_PREFIX } from './format.js';
import {
  DEFAULT_SCRYPT,
  listSlots,
  loadPublicKey,
  loadRecipients,
  makePassphraseSlot,
  makePublicSlot,
  payloadOf,
  saveRecipients,
  spkiFingerprint,
  type KeySlot,
  type ScryptParams,
} from './keys.js';
import type { PermafrostRepository } from './repository.js';

export interface SlotSummary {
  id: string;
  kind: 'passphrase' | 'public';
  created: string;
  hostname?: string;
  fingerprint?: string;
}

export async function listKeySlots(repo: PermafrostRepository): Promise<SlotSummary[]> {
  return (await listSlots(repo.backend)).map((s) => ({
    id: s.id,
    kind: s.kind,
    created: s.created,
    ...(s.kind === 'passphrase' ? { hostname: s.hostname } : { fingerprint: s.fingerprint }),
  }));
}

export async function addPassphrase(repo: PermafrostRepository, passphrase: string, scrypt: ScryptParams = DEFAULT_SCRYPT): Promise<SlotSummary> {
  repo.requireRead('adding a password');
  if (passphrase.length === 0) throw new PermafrostError('the new password is empty', ExitCode.usage);
  const slot = makePassphraseSlot(passphrase, payloadOf(repo.secrets), scrypt);
  await repo.backend.put(`${KEYS_PREFIX}${slot.id}`, Buffer.from(JSON.stringify(slot, null, 2)));
  return { id: slot.id, kind: 'passphrase', created: slot.created, hostname: slot.hostname };
}

export async function addPublicKey(repo: PermafrostRepository, file: string): Promise<SlotSummary> {
  repo.requireRead('adding a public key');
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (err) {
    throw new PermafrostError(`cannot read the public key file ${file}`, ExitCode.config, { cause: err });
  }
  const pub = loadPublicKey(pem, file);
  const fp = spkiFingerprint(pub);
  const existing = (await listSlots(repo.backend)).find((s) => s.kind === 'public' && s.fingerprint === fp);
  if (existing) throw new PermafrostError(`this public key is already registered (slot ${existing.id.slice(0, 8)})`, ExitCode.usage);
  const slot = makePublicSlot(pub, repo.secrets.idKey);
  await repo.backend.put(`${KEYS_PREFIX}${slot.id}`, Buffer.from(JSON.stringify(slot, null, 2)));
  const recipients = await loadRecipients(repo.backend, repo.secrets.idKey);
  if (!recipients.some((k) => spkiFingerprint(k) === fp)) await saveRecipients(repo.backend, repo.secrets.idKey, [...recipients, pub]);
  return { id: slot.id, kind: 'public', created: slot.created, fingerprint: fp };
}

export async function removeKeySlot(repo: PermafrostRepository, idPrefix: string): Promise<SlotSummary> {
  repo.requireRead('removing a key');
  const slots = await listSlots(repo.backend);
  const matches = slots.filter((s) => s.id.startsWith(idPrefix));
  if (matches.length !== 1) {
    throw new PermafrostError(matches.length === 0 ? `no key slot "${idPrefix}": list them with \`permafrost repo key list\`` : `key slot prefix "${idPrefix}" is ambiguous`, matches.length === 0 ? ExitCode.notFound : ExitCode.usage);
  }
  const slot: KeySlot = matches[0];
  if (slot.kind === 'passphrase' && slots.filter((s) => s.kind === 'passphrase').length === 1) {
    throw new PermafrostError('refusing to remove the last password: the repository would become unreadable. Add another one first (`permafrost repo key add`)', ExitCode.usage);
  }
  if (slot.kind === 'public') {
    const recipients = await loadRecipients(repo.backend, repo.secrets.idKey);
    const reader = crypto.createPublicKey(repo.secrets.readerPublicPem);
    const readerFp = spkiFingerprint(reader);
    // New data keys are no longer wrapped to a removed key (the reader key always stays).
    await saveRecipients(repo.backend, repo.secrets.idKey, recipients.filter((k) => spkiFingerprint(k) !== slot.fingerprint || spkiFingerprint(k) === readerFp));
  }
  await repo.backend.delete(`${KEYS_PREFIX}${slot.id}`);
  return { id: slot.id, kind: slot.kind, created: slot.created };
}
