// Versioned containers in the fidelity report: the history is compared by what each version was,
// and each older version's snapshot stream is paired with the target's version at the same place.
import { describe, expect, it } from 'vitest';
import { comparableFields } from '../../src/restore/fidelity-adjust.js';
import { comparableVersions, pairVersionStreams } from '../../src/restore/object-versions.js';

const snapshotVersions = [
  { name: 'doc.txt', version_id: 'old-1', is_latest: false, deleteMarker: false, bytes: 3, hash: 'h1', content_type: 'text/plain', last_modified: '2026-11-01T00:00:00', stream: 'object_version/box/old-1/doc.txt', sha256: 's1' },
  { name: 'doc.txt', version_id: 'old-2', is_latest: false, deleteMarker: true, bytes: 0, hash: 'd', content_type: 'application/x-deleted;swift_versions_deleted=1', last_modified: '2026-11-02T00:00:00' },
  { name: 'doc.txt', version_id: 'old-3', is_latest: false, deleteMarker: false, bytes: 4, hash: 'h3', content_type: 'text/plain', last_modified: '2026-11-03T00:00:00', stream: 'object_version/box/old-3/doc.txt', sha256: 's3' },
  { name: 'doc.txt', version_id: 'old-4', is_latest: true, deleteMarker: false, bytes: 5, hash: 'h4', content_type: 'text/plain', last_modified: '2026-11-04T00:00:00', current: true },
];
const targetVersions = [
  { name: 'doc.txt', version_id: 'new-1', is_latest: false, deleteMarker: false, bytes: 3, hash: 'h1', content_type: 'text/plain' },
  { name: 'doc.txt', version_id: 'new-2', is_latest: false, deleteMarker: true, bytes: 0, hash: 'd', content_type: 'application/x-deleted;swift_versions_deleted=1' },
  { name: 'doc.txt', version_id: 'new-3', is_latest: false, deleteMarker: false, bytes: 4, hash: 'h3', content_type: 'text/plain' },
  { name: 'doc.txt', version_id: 'new-4', is_latest: true, deleteMarker: false, bytes: 5, hash: 'h4', content_type: 'text/plain' },
];

describe('versioned containers in the fidelity report', () => {
  it('compares the history without version IDs, upload times or streams', () => {
    expect(comparableVersions(snapshotVersions)).toEqual(comparableVersions(targetVersions));
    const fields = comparableFields('container', { name: 'box', objectVersions: snapshotVersions });
    expect(fields.objectVersions).toEqual(comparableVersions(targetVersions));
    expect(JSON.stringify(fields)).not.toContain('old-1');
  });

  it('a missing version is a difference', () => {
    expect(comparableVersions(snapshotVersions)).not.toEqual(comparableVersions(targetVersions.filter((v) => v.version_id !== 'new-2')));
  });

  it('pairs each older data version with the target version at the same place', () => {
    expect(pairVersionStreams(snapshotVersions, targetVersions, 'box-restored')).toEqual(
      new Map([
        ['object_version/box/old-1/doc.txt', 'object_version/box-restored/new-1/doc.txt'],
        ['object_version/box/old-3/doc.txt', 'object_version/box-restored/new-3/doc.txt'],
      ]),
    );
  });
});
