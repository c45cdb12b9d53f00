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

export interface SnapshotPrivate {
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

export function parseSnapshotFile(raw: Buffer, location: string): SnapshotFile {
  let file: SnapshotFile;
  try {
    file = JSON.parse(raw.toString('utf8')) as SnapshotFile;
  } catch (err) {
    throw new PermafrostError(`a snapshot file in ${location} is not valid JSON (damaged)`, ExitCode.corrupted, { cause: err });
  }
  if (file.format !== SNAPSHOT_FORMAT) throw new PermafrostError(`a snapshot file in ${location} has an unknown format`, ExitCode.corrupted);
  requireVersion(`snapshot ${String(file.id).slice(0, 8)}`, file.version, location);
  return file;
}

export function openPublic(pubKey: Buffer, file: SnapshotFile): SnapshotPublic {
  try {
    return openJson<SnapshotPublic>(pubKey, `snapshot-public:${file.id}`, Buffer.from(file.public, 'base64'));
  } catch (err) {
    throw new PermafrostError(`snapshot ${file.id.slice(0, 8)} cannot be decrypted (damaged, or not of this repository)`, ExitCode.corrupted, { cause: err });
  }
}

export function openPrivate(dek: Buffer, file: SnapshotFile): SnapshotPrivate {
  try {
    return openJson<SnapshotPrivate>(dek, `snapshot-private:${file.id}`, Buffer.from(file.private, 'base64'));
  } catch (err) {
    throw new PermafrostError(`the manifest of snapshot ${file.id.slice(0, 8)} is damaged`, ExitCode.corrupted, { cause: err });
  }
}
