// Inventory of a project's Swift account: every container (metadata, ACLs, versioning,
// storage policy, quotas) and every object of every container, each read with HEAD for its
// metadata; SLO manifests are read (small JSON) so their segments become references.
import type { ServiceModule, InventoryContext, InventoryResult } from '../module.js';
import { InventoryCollector } from '../common/inventory-collector.js';
import { mapLimit } from '../common/limit.js';
import { isForbidden, isNotFound } from '../common/http-status.js';
import { isCrossProject } from '../common/project-scope.js';
import { ObjectClient, type ObjectInfo, type SloStoredSegment } from './client.js';
import { containerRecord, objectRecord } from './records.js';
import { objectRestore } from './restore.js';
import { exportObjectData } from './export.js';

/** Requests in flight per container listing / object HEADs: Swift is shared with everyone. */
const CONTAINER_PARALLELISM = 3;
const OBJECT_PARALLELISM = 8;

async function inventory(ctx: InventoryContext): Promise<InventoryResult> {
  const out = new InventoryCollector('Swift');
  const client = await ObjectClient.open(ctx.session, ctx.pageSize, { projectId: ctx.projectId });
  let containers;
  try {
    containers = await client.listContainers();
  } catch (err) {
    if (isForbidden(err) && isCrossProject(ctx)) {
      // Swift's keystoneauth grants an account to roles on its project (or ResellerAdmin), not to "admin" elsewhere.
      const reason = "the project's Swift account needs a role on that project or the ResellerAdmin role (Swift answered 403)";
      out.skip('container', reason);
      out.skip('object', reason);
      return out.result();
    }
    out.noteFailure('container', err);
    out.noteFailure('object', err, 'containers could not be listed');
    return out.result();
  }
  await mapLimit(containers, CONTAINER_PARALLELISM, async (listed) => {
    try {
      out.add(containerRecord(await client.headContainer(listed.name), ctx.projectId));
    } catch (err) {
      // Deleted between listing and HEAD: nothing to record.
      if (!isNotFound(err)) out.noteFailure('container', err, `container ${listed.name}`);
      return;
    }
    let objects;
    try {
      objects = await client.listObjects(listed.name);
    } catch (err) {
      if (!isNotFound(err)) out.noteFailure('object', err, `objects of container ${listed.name}`);
      return;
    }
    await mapLimit(objects, OBJECT_PARALLELISM, async (listing) => {
      let info: ObjectInfo | undefined;
      let segments: SloStoredSegment[] | undefined;
      try {
        info = await client.headObject(listed.name, listing.name);
        if (info.staticLargeObject) segments = await client.getSloManifest(listed.name, listing.name);
      } catch (err) {
        if (isNotFound(err)) return; // deleted meanwhile (or expired via X-Delete-At)
        out.noteFailure('object', err, `object ${listed.name}/${listing.name}`);
      }
      out.add(objectRecord(listed.name, listing, info, ctx.projectId, segments));
    });
  });
  return out.result();
}

export const serviceModule: ServiceModule = {
  name: 'objects',
  serviceTypes: ['object-store'],
  kinds: ['container', 'object'],
  inventory,
  exportData: exportObjectData,
  restore: objectRestore,
};
