// Data export of servers. An image-backed server's root disk is captured with createImage (a
// live snapshot; Nova quiesces the guest filesystems first when the server's image has
// `hw_qemu_guest_agent=yes`, and refuses to snapshot unquiesced with `os_require_quiesce=yes`) and the snapshot image is downloaded into the stream `server/<id>`.
// A volume-backed server has no root disk of its own: its data is the data of its volumes,
// exported by the volumes service — never a createImage there, which would only make more
// volume snapshots.
import { createOnce, imageIdByName } from '../common/create-once.js';
import type { ServiceClient } from '../../src/openstack/types.js';
import { ResourceGoneError, type DataExportContext, type ExportDataHook } from '../data-export.js';
import { seg } from '../common/api-path.js';
import { isNotFound } from '../common/http-status.js';
import { downloadImageInto, getImage, waitImageActive } from '../images/download-image.js';
import { serverLockKey, withHostLock } from '../../src/backup/run-registry.js';

interface NovaServer {
  id: string;
  status: string;
  'OS-EXT-STS:task_state'?: string | null;
  image?: { id: string } | '' | null;
}

/** States in which Nova can snapshot a server. */
const SNAPSHOTTABLE = ['ACTIVE', 'SHUTOFF', 'PAUSED', 'SUSPENDED'];

type Capture = { mode: 'volumes' } | { mode: 'image'; imageId: string; quiesce: string };

export const exportServerData: ExportDataHook = async (ctx, records) => {
  const nova = await ctx.session.client('compute', { microversion: '2.79' });
  const glance = await ctx.session.client('image');
  return records
    .filter((r) => r.kind === 'server')
    .map((record) => {
      let captured: Capture | undefined;
      let captureError: Error | undefined;
      return {
        kind: 'server' as const,
        id: record.id,
        lane: 'disk' as const,
        capturePhase: 1,
        async capture() {
          try {
            captured = await captureServer(nova, glance, record.id, ctx);
          } catch (err) {
            captureError = err as Error;
          }
        },
        async transfer() {
          if (captureError) throw captureError;
          if (!captured) throw new Error('internal: server transfer before capture');
          if (captured.mode === 'volumes') return { data: [], fields: { rootDiskData: 'volume-backed: data exported with its volumes' } };
          ctx.progress.step('server', record.id, 'wait for snapshot image');
          const image = await waitImageActive(glance, captured.imageId, ctx);
          ctx.progress.step('server', record.id, 'download');
          const ref = await downloadImageInto(glance, image, `server/${record.id}`, ctx);
          await ctx.temporaries.release('image', captured.imageId);
          return {
            data: [ref],
            fields: { rootDiskData: { diskFormat: image.disk_format ?? undefined, quiesce: captured.quiesce } },
          };
        },
      };
    });
};

/** The server once no task runs on it (build, rebuild, another snapshot…), at most 3 minutes. */
async function settledServer(nova: ServiceClient, serverId: string, ctx: DataExportContext): Promise<NovaServer> {
  const deadline = Date.now() + 3 * 60_000;
  for (;;) {
    let server: NovaServer;
    try {
      server = (await nova.request<{ server: NovaServer }>({ path: `/servers/${seg(serverId)}` })).body.server;
    } catch (err) {
      if (isNotFound(err)) throw new ResourceGoneError(`server ${serverId}`);
      throw err;
    }
    if (server.status === 'DELETED' || server.status === 'SOFT_DELETED') throw new ResourceGoneError(`server ${serverId}`);
    const task = server['OS-EXT-STS:task_state'];
    if ((!task && SNAPSHOTTABLE.includes(server.status)) || server.status === 'ERROR' || Date.now() > deadline || ctx.signal.aborted) return server;
    ctx.progress.step('server', serverId, `wait while ${task ?? server.status}`);
    await new Promise((r) => setTimeout(r, 3000));
  }
}

/**
 * createImage under this host's lock on the server: a volume export holds it while Nova makes
 * the assisted snapshot of one of the server's volumes (Nova fails that snapshot during a
 * createImage), so a concurrent backup of the project does not break the other's snapshot.
 */
function captureServer(nova: ServiceClient, glance: ServiceClient, serverId: string, ctx: DataExportContext): Promise<Capture> {
  return withHostLock(serverLockKey(serverId), () => captureServerLocked(nova, glance, serverId, ctx), {
    signal: ctx.signal,
    onWait: (pid) => ctx.progress.step('server', serverId, `wait for permafrost process ${pid} (snapshotting this server's volume)`),
  });
}

async function captureServerLocked(nova: ServiceClient, glance: ServiceClient, serverId: string, ctx: DataExportContext): Promise<Capture> {
  const server = await settledServer(nova, serverId, ctx);
  const imageId = server.image && typeof server.image === 'object' ? server.image.id : undefined;
  if (!imageId) return { mode: 'volumes' };
  if (!SNAPSHOTTABLE.includes(server.status)) {
    throw new Error(`server is in status "${server.status}": its root disk cannot be snapshotted (needs ${SNAPSHOTTABLE.join('/')})`);
  }
  const source = await getImage(glance, imageId).catch(() => undefined);
  const yes = (v: unknown) => ['yes', 'true', '1'].includes(String(v ?? '').toLowerCase());
  const quiesce = yes(source?.hw_qemu_guest_agent)
    ? yes(source?.os_require_quiesce)
      ? 'requested and required (image has hw_qemu_guest_agent=yes and os_require_quiesce=yes: Nova fails the snapshot when the guest cannot freeze)'
      : 'requested (image has hw_qemu_guest_agent=yes; Nova takes a crash-consistent snapshot when the guest agent does not answer)'
    : 'not available (the server image lacks hw_qemu_guest_agent=yes): crash-consistent';
  ctx.progress.step('server', serverId, 'createImage');
  const name = ctx.temporaries.nameFor(`server-${serverId}`);
  const created = await createOnce({
    create: async () => {
      const res = await nova.request<{ image_id?: string }>({
        method: 'POST',
        path: `/servers/${seg(serverId)}/action`,
        retry: false,
        json: { createImage: { name, metadata: ctx.temporaries.metadata() } },
      });
      const location = res.headers.location;
      const id = res.body?.image_id ?? (typeof location === 'string' ? location.split('/').pop() : undefined);
      if (!id) throw new Error('Nova accepted createImage but returned no image ID');
      return id;
    },
    find: () => imageIdByName(glance, name),
    signal: ctx.signal,
  });
  ctx.temporaries.track({ kind: 'image', id: created, name });
  return { mode: 'image', imageId: created, quiesce };
}
