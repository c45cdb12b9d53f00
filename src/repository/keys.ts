// Key management: the repository secrets, passphrase key slots (scrypt) and public-key key slots
// (write-only hosts), and per-session data keys wrapped to the readers' RSA public keys.
//
//   idKey        32 random bytes; chunk IDs (HMAC), CDC gear table, and — via HKDF — the keys of
//                pack index files, stream maps and the public part of snapshots. Held by every
//                host that may write (it is what deduplication needs), never stored in clear.
//   reader key   an RSA-3072 key pair generated at init. Every data key (DEK) is wrapped to its
//                public half (RSA-OAEP-SHA256); the private half exists only inside passphrase slots.
//   DEK          32 random bytes per writing session: encrypts chunks, documents, private manifests.
//
// A passphrase slot holds {idKey, reader private+public key}; a public slot holds {idKey} encrypted
// under HKDF(SPKI of the slot's public key): a host with the public key file can write and
// deduplicate, but holds no private key, so it can open no DEK, hence no data and no manifest.
import crypto from 'node:crypto';
import os from 'node:os';
import { ExitCode, PermafrostError } from '../errors.js';
import { openJson, sealJson } from '../../streams/blob-crypto.js';
import { deriveKey } from '../../streams/keyed-hash.js';
import type { Backend } from './types.js';
import { FORMAT_VERSION, KEYS_PREFIX, RECIPIENTS_KEY, randomId, requireVersion } from './format.js';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}
// 32 MiB of memory per unlock: slow for guessing, cheap enough to keep the peak RSS budget.
export const DEFAULT_SCRYPT: ScryptParams = { N: 1 << 15, r: 8, p: 1 };

export interface MasterSecrets {
  idKey: Buffer;
  readerPrivateKey?: crypto.KeyObject;
  readerPublicPem: string;
}

interface MasterPayload {
  idKey: string;
  readerPrivateKey: string;
  readerPublicKey: string;
}

export interface PassphraseSlot {
  version: number;
  /** Version 2: SHA-256 (hex) of the slot's JSON without this field, so that damage is told from a wrong password. */
  sum?: string;
  kind: 'passphrase';
  id: string;
  created: string;
  hostname: string;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  box: string;
}

export interface PublicSlot {
  version: number;
  sum?: string;
  kind: 'public';
  id: string;
  created: string;
  /** sha256 of the public key's SPKI DER, hex: identifies the slot without revealing the key. */
  fingerprint: string;
  salt: string;
  box: string;
}

export type KeySlot = PassphraseSlot | PublicSlot;

/** A DEK wrapped for each recipient public key. */
export type WrappedDek = { fingerprint: string; wrapped: string }[];

export function spkiFingerprint(key: crypto.KeyObject): string {
  return crypto.createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
}

function kek(passphrase: string, kdf: PassphraseSlot['kdf']): Buffer {
  return crypto.scryptSync(passphrase, Buffer.from(kdf.salt, 'base64'), 32, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem: 256 * kdf.N * kdf.r + 16 * 1024 * 1024,
  });
}

function publicSlotKey(pub: crypto.KeyObject, salt: Buffer): Buffer {
  const spki = pub.export({ type: 'spki', format: 'der' });
  return Buffer.from(crypto.hkdfSync('sha256', spki, salt, Buffer.from('permafrost:public-slot'), 32));
}

/** Reads an RSA public key (PEM/SPKI, or an RSA private key from which the public half is taken). */
export function loadPublicKey(pem: string, source: string): crypto.KeyObject {
  let key: crypto.KeyObject;
  try {
    key = crypto.createPublicKey(pem);
  } catch (err) {
    throw new PermafrostError(`${source} is not a PEM public key: create one with \`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out key.pem && openssl pkey -in key.pem -pubout -out key.pub\``, ExitCode.config, { cause: err });
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new PermafrostError(`${source} is a ${key.asymmetricKeyType} key; permafrost v1 needs an RSA public key (≥ 2048 bits)`, ExitCode.config);
  }
  return key;
}

export function generateMaster(): { secrets: MasterSecrets; payload: MasterPayload } {
  const idKey = crypto.randomBytes(32);
  const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 3072 });
  const payload: MasterPayload = {
    idKey: idKey.toString('base64'),
    readerPrivateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    readerPublicKey: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
  return { secrets: { idKey, readerPrivateKey: privateKey, readerPublicPem: payload.readerPublicKey }, payload };
}

/** A slot with its checksum (`sum`, last field), as stored. */
function withSum<T extends KeySlot>(slot: T): T {
  return { ...slot, sum: slotSum(slot) };
}

function slotSum(slot: KeySlot): string {
  const { sum: _sum, ...rest } = slot;
  return crypto.createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

export function makePassphraseSlot(passphrase: string, payload: MasterPayload, params: ScryptParams = DEFAULT_SCRYPT): PassphraseSlot {
  const kdf = { name: 'scrypt' as const, ...params, salt: crypto.randomBytes(16).toString('base64') };
  const id = randomId(16);
  return withSum({
    version: FORMAT_VERSION,
    kind: 'passphrase',
    id,
    created: new Date().toISOString(),
    hostname: os.hostname(),
    kdf,
    box: sealJson(kek(passphrase, kdf), `key-slot:${id}`, payload).toString('base64'),
  });
}

export function makePublicSlot(pub: crypto.KeyObject, idKey: Buffer): PublicSlot {
  const salt = crypto.randomBytes(16);
  const id = randomId(16);
  return withSum({
    version: FORMAT_VERSION,
    kind: 'public',
    id,
    created: new Date().toISOString(),
    fingerprint: spkiFingerprint(pub),
    salt: salt.toString('base64'),
    box: sealJson(publicSlotKey(pub, salt), `key-slot:${id}`, { idKey: idKey.toString('base64') }).toString('base64'),
  });
}

export interface DamagedSlot {
  key: string;
  reason: string;
}

/** Why a stored slot cannot be used, or undefined when it looks intact (its password may still be wrong). */
function slotDamage(slot: KeySlot, key: string): string | undefined {
  if (typeof slot !== 'object' || slot === null) return 'not a JSON object';
  if (slot.kind !== 'passphrase' && slot.kind !== 'public') return `unknown kind ${JSON.stringify((slot as { kind?: unknown }).kind)}`;
  if (typeof slot.id !== 'string' || key !== `${KEYS_PREFIX}${slot.id}`) return 'its id does not match its file name';
  if (typeof slot.box !== 'string' || Buffer.from(slot.box, 'base64').length < 29) return 'its sealed box is cut short';
  if (slot.kind === 'passphrase' && !(slot.kdf && Number.isInteger(slot.kdf.N) && Number.isInteger(slot.kdf.r) && Number.isInteger(slot.kdf.p) && typeof slot.kdf.salt === 'string')) {
    return 'its key derivation parameters are damaged';
  }
  if (slot.version >= 2 && slot.sum !== slotSum(slot)) return 'its checksum does not match';
  return undefined;
}

/** Every key slot, and the slot files that are damaged (skipped). */
export async function readSlots(backend: Backend): Promise<{ slots: KeySlot[]; damaged: DamagedSlot[] }> {
  const slots: KeySlot[] = [];
  const damaged: DamagedSlot[] = [];
  for await (const { key } of backend.list(KEYS_PREFIX)) {
    if (key === RECIPIENTS_KEY) continue;
    let slot: KeySlot;
    try {
      slot = JSON.parse((await backend.get(key)).toString('utf8')) as KeySlot;
    } catch {
      damaged.push({ key, reason: 'not valid JSON' });
      continue;
    }
    if (typeof slot?.version === 'number' && slot.version > FORMAT_VERSION) requireVersion('key slot', slot.version, backend.location);
    const reason = typeof slot?.version === 'number' ? slotDamage(slot, key) : 'no version';
    if (reason) damaged.push({ key, reason });
    else slots.push(slot);
  }
  return { slots, damaged };
}

export async function listSlots(backend: Backend): Promise<KeySlot[]> {
  return (await readSlots(backend)).slots;
}

export function describeDamagedSlots(damaged: DamagedSlot[]): string {
  return damaged.map((d) => `${d.key} (${d.reason})`).join(', ');
}

export function payloadOf(secrets: MasterSecrets): MasterPayload {
  if (!secrets.readerPrivateKey) throw new PermafrostError('this host has only a public key: it cannot add passphrases', ExitCode.repository);
  return {
    idKey: secrets.idKey.toString('base64'),
    readerPrivateKey: secrets.readerPrivateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    readerPublicKey: secrets.readerPublicPem,
  };
}

/** Tries every passphrase slot; a wrong passphrase fails all of them (GCM tag mismatch). */
export function unlockWithPassphrase(slots: KeySlot[], passphrase: string, location: string, damaged: DamagedSlot[] = []): { secrets: MasterSecrets; slot: PassphraseSlot } {
  const candidates = slots.filter((s): s is PassphraseSlot => s.kind === 'passphrase');
  if (candidates.length === 0 && damaged.length > 0) {
    throw new PermafrostError(
      `the key slots of ${location} are damaged: ${describeDamagedSlots(damaged)}. The password cannot be tried; put back an intact copy of the slot file (docs/repair.md)`,
      ExitCode.repository,
    );
  }
  if (candidates.length === 0) {
    throw new PermafrostError(`${location} has no passphrase key slot: open it with the public key (write-only) instead`, ExitCode.repository);
  }
  for (const slot of candidates) {
    let payload: MasterPayload;
    try {
      payload = openJson<MasterPayload>(kek(passphrase, slot.kdf), `key-slot:${slot.id}`, Buffer.from(slot.box, 'base64'));
    } catch {
      continue;
    }
    return {
      slot,
      secrets: {
        idKey: Buffer.from(payload.idKey, 'base64'),
        readerPrivateKey: crypto.createPrivateKey(payload.readerPrivateKey),
        readerPublicPem: payload.readerPublicKey,
      },
    };
  }
  const also = damaged.length > 0 ? `; besides, ${damaged.length} key slot(s) are damaged and could not be tried: ${describeDamagedSlots(damaged)} (docs/repair.md)` : '';
  throw new PermafrostError(
    `wrong password for the repository at ${location}: no intact key slot accepts it (check PERMAFROST_PASSWORD or --password-file; nothing was written)${also}`,
    ExitCode.repository,
  );
}

export function unlockWithPublicKey(slots: KeySlot[], pub: crypto.KeyObject, location: string): { idKey: Buffer; slot: PublicSlot } {
  const fp = spkiFingerprint(pub);
  const slot = slots.find((s): s is PublicSlot => s.kind === 'public' && s.fingerprint === fp);
  if (!slot) {
    throw new PermafrostError(
      `this public key (sha256 ${fp.slice(0, 16)}…) is not registered in ${location}: add it with \`permafrost repo key add --public-key FILE\` on a host that has the password`,
      ExitCode.repository,
    );
  }
  try {
    const payload = openJson<{ idKey: string }>(publicSlotKey(pub, Buffer.from(slot.salt, 'base64')), `key-slot:${slot.id}`, Buffer.from(slot.box, 'base64'));
    return { idKey: Buffer.from(payload.idKey, 'base64'), slot };
  } catch (err) {
    throw new PermafrostError(`public key slot ${slot.id} of ${location} is damaged`, ExitCode.corrupted, { cause: err });
  }
}

// ------------------------------------------------------------------ recipients and data keys
const recipientsKey = (idKey: Buffer): Buffer => deriveKey(idKey, 'recipients');

/** Public keys every new DEK is wrapped to (the reader key, plus user keys added with --public-key). */
export async function loadRecipients(backend: Backend, idKey: Buffer): Promise<crypto.KeyObject[]> {
  const damaged = (why: string, cause?: unknown): PermafrostError =>
    new PermafrostError(`${RECIPIENTS_KEY} of ${backend.location} ${why}: new data keys cannot be wrapped; run \`permafrost repo repair keys\` (docs/repair.md)`, ExitCode.corrupted, { cause });
  let raw: Buffer;
  try {
    raw = await backend.get(RECIPIENTS_KEY);
  } catch (err) {
    if (err instanceof PermafrostError && err.exitCode === ExitCode.notFound) throw damaged('is missing', err);
    throw err;
  }
  let doc: { version: number; keys: string[] };
  try {
    doc = openJson<{ version: number; keys: string[] }>(recipientsKey(idKey), 'recipients', raw);
  } catch (err) {
    throw damaged('is damaged (it cannot be decrypted)', err);
  }
  requireVersion('recipient list', doc.version, backend.location);
  try {
    return doc.keys.map((pem) => crypto.createPublicKey(pem));
  } catch (err) {
    throw damaged('holds a damaged public key', err);
  }
}

export async function saveRecipients(backend: Backend, idKey: Buffer, keys: crypto.KeyObject[]): Promise<void> {
  const pems = keys.map((k) => k.export({ type: 'spki', format: 'pem' }) as string);
  await backend.put(RECIPIENTS_KEY, sealJson(recipientsKey(idKey), 'recipients', { version: FORMAT_VERSION, keys: pems }));
}

export function wrapDek(dek: Buffer, recipients: crypto.KeyObject[]): WrappedDek {
  return recipients.map((pub) => ({
    fingerprint: spkiFingerprint(pub),
    wrapped: crypto.publicEncrypt({ key: pub, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, dek).toString('base64'),
  }));
}

/** Opens a wrapped DEK with a private key; undefined when none of the wraps is for this key. */
export function unwrapDek(wraps: WrappedDek, priv: crypto.KeyObject): Buffer | undefined {
  const fp = spkiFingerprint(crypto.createPublicKey(priv));
  const w = Array.isArray(wraps) ? wraps.find((x) => x?.fingerprint === fp) : undefined;
  if (!w) return undefined;
  let dek: Buffer;
  try {
    dek = crypto.privateDecrypt({ key: priv, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(String(w.wrapped), 'base64'));
  } catch (err) {
    throw new DamagedKeyError(err);
  }
  if (dek.length !== 32) throw new DamagedKeyError(new Error(`unwrapped ${dek.length} bytes`));
  return dek;
}

/** A wrapped data key that does not open with the reader key (its RSA-OAEP block is damaged). */
export class DamagedKeyError extends PermafrostError {
  constructor(cause: unknown) {
    super('a wrapped data key is damaged', ExitCode.corrupted, { cause });
    this.name = 'DamagedKeyError';
  }
}
