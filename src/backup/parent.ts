// The parent of a project snapshot: the newest earlier snapshot of the same project (project IDs
// are unique per Keystone, so a member's and an admin's backups of one project share a parent).
// Disk streams are written against the same-named stream of the parent, so an unchanged disk
// costs almost nothing and a changed one only its changed blocks.
import type { Repository, SnapshotInfo } from '../repository/types.js';

export const PROJECT_SNAPSHOT_TYPE = 'project';

export async function findParentSnapshot(repo: Repository, projectId: string): Promise<SnapshotInfo | undefined> {
  // a write-only host cannot read earlier snapshots: every backup there is a full one (the
  // chunks still deduplicate against the repository)
  if (!repo.canRead) return undefined;
  const all = await repo.listSnapshots();
  return all
    .filter((s) => s.type === PROJECT_SNAPSHOT_TYPE && s.tags.projectId === projectId)
    .sort((a, b) => b.time.localeCompare(a.time))[0];
}
