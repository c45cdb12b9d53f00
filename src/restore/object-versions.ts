// Versioned Swift containers in the fidelity report. The backup records a container's version
// history (`fields.objectVersions`, oldest first per name: data versions with their stream, delete
// markers, the current version) and the restore PUTs it again in that order; version IDs and
// upload times are the target's own. So both sides are compared as the sequence of what each
// version was (name, delete marker, size, md5, content type, latest), and each older version's
// data stream of the snapshot is paired with the target's version at the same place.
import { ObjectClient } from '../../services/objects/client.js';
import type { Session } from '../openstack/types.js';

/** A version as both sides are compared: what it was, not when or under which ID. */
export interface ComparableVersion {
  name: string;
  deleteMarker: boolean;
  bytes: number;
  hash: string;
  content_type: string;
  is_latest: boolean;
}

interface VersionLike {
  name: string;
  version_id?: string;
  deleteMarker?: boolean;
  bytes?: number;
  hash?: string;
  content_type?: string;
  is_latest?: boolean;
  current?: boolean;
  stream?: string;
}

export function comparableVersions(list: unknown): ComparableVersion[] {
  if (!Array.isArray(list)) return [];
  return (list as VersionLike[]).map((v) => ({
    name: v.name,
    deleteMarker: v.deleteMarker === true,
    bytes: Number(v.bytes ?? 0),
    hash: String(v.hash ?? ''),
    content_type: String(v.content_type ?? ''),
    is_latest: v.is_latest === true,
  }));
}

/** The target container's versions, oldest first per name (Swift lists them newest first). */
export async function targetVersions(session: Session, container: string): Promise<VersionLike[]> {
  const swift = await ObjectClient.open(session);
  const res = await swift.http.request<unknown>({ path: `${swift.http.endpoint}/${encodeURIComponent(container)}`, searchParams: { versions: '', format: 'json' }, okStatus: [200, 204, 404] });
  const raw = res.body;
  const listing = (typeof raw === 'string' ? JSON.parse(raw || '[]') : Buffer.isBuffer(raw) ? JSON.parse(raw.toString('utf8') || '[]') : (raw ?? [])) as Array<{ name: string; version_id: string; bytes: number; hash: string; content_type: string; is_latest: boolean }>;
  const byName = new Map<string, VersionLike[]>();
  for (const v of Array.isArray(listing) ? listing : []) {
    const entry: VersionLike = { name: v.name, version_id: v.version_id, deleteMarker: String(v.content_type).startsWith('application/x-deleted'), bytes: v.bytes, hash: v.hash, content_type: v.content_type, is_latest: v.is_latest };
    byName.set(v.name, [...(byName.get(v.name) ?? []), entry]);
  }
  return [...byName.values()].flatMap((list) => list.reverse());
}

/** Snapshot stream of an older version → the stream name the target's version at the same place is hashed under. */
export function pairVersionStreams(snapshotVersions: unknown, target: VersionLike[], targetContainer: string): Map<string, string> {
  const older = (list: VersionLike[]) => {
    const byName = new Map<string, VersionLike[]>();
    for (const v of list) if (!v.deleteMarker && !v.current && !v.is_latest) byName.set(v.name, [...(byName.get(v.name) ?? []), v]);
    return byName;
  };
  const mine = older(Array.isArray(snapshotVersions) ? (snapshotVersions as VersionLike[]) : []);
  const theirs = older(target);
  const out = new Map<string, string>();
  for (const [name, list] of mine) {
    list.forEach((v, i) => {
      const twin = theirs.get(name)?.[i];
      if (v.stream && twin?.version_id) out.set(v.stream, `object_version/${targetContainer}/${twin.version_id}/${name}`);
    });
  }
  return out;
}
