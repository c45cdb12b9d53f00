// Snapshot files (`snapshots/<id>`), written last by commit(). Two sealed parts:
//  - public: time, parent and, per stream, a keyed MAC of its name plus its map segment IDs —
//    sealed under a key derived from the dedup key, so write-only hosts can find a parent stream
//    and prune can walk references; no name, tag or byte of data is in it;
//  - private: host, type, tags, stream names/sizes/hashes, documents, stats — sealed under the
//    session's DEK, readable only with the reader key.
import crypto from 'node:crypto';
import { openJson, sealJson } from '../../streams/blob-crypto.js';
import { deriveKey } from '../../streams/keyed-hash.js';
import { ExitCode, PermafrostError } from '../errors.js';
import type { ChunkerKind, SnapshotStats } from './types.js';
import { FORMAT_VERSION, requireVersion } from './format.js';
import type { WrappedDek } from './keys.js';

export const SNAPSHOT_FORMAT = 'permafrost-snapshot';

export interface PublicStream {
  mac: string;
  chunker: ChunkerKind;
  size: number;
  maps: string[];
}

export interface SnapshotPublic {
  time: string;
  parent?: string;
  streams: PublicStream[];
}

export interface PrivateStream {
  name: string;
  mac: string;
  size: number;
  /** Plain SHA-256 of the bytes, hex (CDC streams, and every stream of older snapshots). */
  sha256?: string;
  /**
   * Any other stream digest, as streams/stream-digest.ts records it ("sha256-b4k:<hex>", the block
   * tree of fixed-chunker streams). Kept apart from `sha256` so that older readers skip it.
   */
  digest?: string;
}

/** The recorded stream digest of a manifest entry ('' when none). */
export function recordedDigest(s: Pick<PrivateStream, 'sha256' | 'digest'>): string {
  return s.digest ?? s.sha256 ?? '';
}

/** A stream or document that `repo repair snapshots` removed because its data was lost. */
export interface LostStream {
  name: string;
  kind: 'stream' | 'document';
  size: number;
  reason: string;
  /** When the repair removed it (ISO 8601). */
  removed: string;
}

export interface SnapshotPrivate {
  /** Set by `repo repair snapshots`: what this snapshot had and lost. */
  lost?: LostStream[];
  hostname: string;
  type: string;
  tags: Record<string, string>;
  parent?: string;
  streams: PrivateStream[];
  documents: { name: string; mac: string }[];
  stats: SnapshotStats;
}

export interface SnapshotFile {
  format: typeof SNAPSHOT_FORMAT;
  version: number;
  id: string;
  public: string;
  private: string;
  dek: string;
  deks: Record<string, WrappedDek>;
}

export const publicKeyFrom = (idKey: Buffer): Buffer => deriveKey(idKey, 'snapshot-public');
export const nameKeyFrom = (idKey: Buffer): Buffer => deriveKey(idKey, 'stream-names');

/** Keyed MAC of a stream or document name: equal names match without revealing them. */
export function nameMac(nameKey: Buffer, kind: 'stream' | 'doc', name: string): string {
  return crypto.createHmac('sha256', nameKey).update(`${kind}:${name}`).digest('hex');
}

export function buildSnapshotFile(
  id: string,
  pubKey: Buffer,
  pub: SnapshotPublic,
  dekId: string,
  dek: Buffer,
  wraps: WrappedDek,
  priv: SnapshotPrivate,
): SnapshotFile {
  return {
    format: SNAPSHOT_FORMAT,
    version: FORMAT_VERSION,
    id,
    public: sealJson(pubKey, `snapshot-public:${id}`, pub).toString('base64'),
    private: sealJson(dek, `snapshot-private:${id}`, priv).toString('base64'),
    dek: dekId,
    deks: { [dekId]: wraps },
  };
}

export function parseSnapshotFile(raw: Buffer, location: string, id?: string): SnapshotFile {
  const name = id ? `snapshot file snapshots/${id}` : 'a snapshot file';
  let file: SnapshotFile;
  try {
    file = JSON.parse(raw.toString('utf8')) as SnapshotFile;
  } catch (err) {
    throw new PermafrostError(`${name} in ${location} is not valid JSON (damaged)`, ExitCode.corrupted, { cause: err });
  }
  if (file?.format !== SNAPSHOT_FORMAT) throw new PermafrostError(`${name} in ${location} has an unknown format (damaged)`, ExitCode.corrupted);
  if (typeof file.version === 'number' && file.version > FORMAT_VERSION) requireVersion(`snapshot ${String(file.id).slice(0, 8)}`, file.version, location);
  const intact =
    (id === undefined || file.id === id) &&
    typeof file.id === 'string' &&
    typeof file.public === 'string' &&
    typeof file.private === 'string' &&
    typeof file.dek === 'string' &&
    typeof file.deks === 'object' &&
    file.deks !== null;
  if (!intact) throw new PermafrostError(`${name} in ${location} lacks a field or names another snapshot (damaged)`, ExitCode.corrupted);
  try {
    requireVersion(`snapshot ${String(file.id).slice(0, 8)}`, file.version, location);
  } catch (err) {
    throw new PermafrostError(`${name} in ${location} has a damaged version field`, ExitCode.corrupted, { cause: err });
  }
  return file;
}

export function openPublic(pubKey: Buffer, file: SnapshotFile): SnapshotPublic {
  try {
    return openJson<SnapshotPublic>(pubKey, `snapshot-public:${file.id}`, Buffer.from(file.public, 'base64'));
  } catch (err) {
    throw new PermafrostError(`snapshot file snapshots/${file.id} cannot be decrypted (damaged, or not of this repository)`, ExitCode.corrupted, { cause: err });
  }
}

export function openPrivate(dek: Buffer, file: SnapshotFile): SnapshotPrivate {
  try {
    return openJson<SnapshotPrivate>(dek, `snapshot-private:${file.id}`, Buffer.from(file.private, 'base64'));
  } catch (err) {
    throw new PermafrostError(`the manifest of snapshot file snapshots/${file.id} is damaged`, ExitCode.corrupted, { cause: err });
  }
}
