// Reads a project snapshot's manifest from the repository and turns it into the planner's input.
// The manifest names the source cloud by its clouds.yaml name; where this machine knows that
// cloud, its Keystone URL is added, so that "same cloud" is decided by URL, not by name (a backup
// made as `devcloud-demo` restored as `devcloud-admin` is the same cloud).
import { loadCloudConfig } from '../config/load-cloud-config.js';
import { ExitCode, PermafrostError } from '../errors.js';
import type { BackupManifest } from '../backup/manifest.js';
import { MANIFEST_DOCUMENT } from '../backup/manifest.js';
import type { Repository, SnapshotInfo } from '../repository/types.js';
import type { SnapshotManifestInput } from '../../restore-plans/planner-input.js';
import { manifestInputFromBackup } from '../../restore-plans/from-inventory.js';

export interface LoadedSnapshot {
  info: SnapshotInfo;
  manifest: BackupManifest;
  input: SnapshotManifestInput;
}

export async function loadSnapshot(repository: Repository, idOrPrefix: string): Promise<LoadedSnapshot> {
  const info = await repository.getSnapshot(idOrPrefix);
  if (info.type !== 'project') {
    throw new PermafrostError(`snapshot ${info.id} is a "${info.type}" snapshot, not a project backup: restore-file reads single files`, ExitCode.usage);
  }
  const manifest = await repository.readDocument<BackupManifest>(info.id, MANIFEST_DOCUMENT);
  let authUrl: string | undefined;
  try {
    authUrl = loadCloudConfig({ cloud: manifest.cloud }).authUrl;
  } catch {
    // the source cloud is not configured here: decided by name then
  }
  const input = manifestInputFromBackup(manifest, info, authUrl);
  return { info, manifest, input };
}
