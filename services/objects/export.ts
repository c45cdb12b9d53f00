// Data export of Swift objects: one GET per object into the stream `object/<container>/<name>`
// (content-defined chunks, so an edited object shares most chunks with its previous version).
// Every GET asks for `multipart-manifest=get`, so large objects stay what they are:
//   SLO manifest → the stream holds the manifest JSON exactly as Swift returns it;
//   DLO manifest → the stream holds the manifest object itself (usually empty), and its
//                  `X-Object-Manifest` prefix is recorded;
// the segments are ordinary objects of their own container and are exported as data like any
// other object. Plain objects are checked against Swift's etag (md5).
import type { ResourceRecord } from '../../src/model/resource.js';
import { ResourceGoneError, type ExportDataHook } from '../data-export.js';
import { isNotFound } from '../common/http-status.js';
import { seg } from '../common/api-path.js';

/** Container and object name of an object record (`fields`, else the `<container>/<name>` ID). */
export function objectLocation(record: ResourceRecord): { container: string; name: string } {
  const f = record.fields;
  const container = typeof f.container === 'string' ? f.container : undefined;
  const name = typeof f.name === 'string' ? f.name : typeof f.object === 'string' ? f.object : undefined;
  if (container !== undefined && name !== undefined) return { container, name };
  const slash = record.id.indexOf('/');
  if (slash <= 0) throw new Error(`object record ${record.id} names no container`);
  return { container: record.id.slice(0, slash), name: record.id.slice(slash + 1) };
}

/** `/container/a/b c` with each path segment percent-encoded (object names may hold any UTF-8). */
export function objectPath(container: string, name: string): string {
  return `/${seg(container)}/${name.split('/').map(seg).join('/')}`;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export const exportObjectData: ExportDataHook = async (ctx, records) => {
  const swift = await ctx.session.client('object-store');
  return records
    .filter((r) => r.kind === 'object')
    .map((record) => ({
      kind: 'object' as const,
      id: record.id,
      lane: 'small' as const,
      size: record.size,
      async transfer() {
        const { container, name } = objectLocation(record);
        const streamName = `object/${container}/${name}`;
        let response;
        try {
          response = await swift.download({ path: objectPath(container, name), searchParams: { 'multipart-manifest': 'get' } });
        } catch (err) {
          if (isNotFound(err)) throw new ResourceGoneError(`object ${container}/${name}`);
          throw err;
        }
        const { stream, headers } = response;
        const slo = /^true$/i.test(header(headers, 'x-static-large-object') ?? '');
        const dloPrefix = header(headers, 'x-object-manifest');
        const etag = header(headers, 'etag')?.replace(/"/g, '');
        const out = await ctx.writeStream(streamName, stream, { chunker: 'cdc', expectedSize: record.size });
        // For a plain object (and an SLO manifest read with multipart-manifest=get) the etag is
        // the md5 of the bytes served; a DLO manifest's etag describes its segments instead.
        if (!dloPrefix && etag && out.md5 !== etag) {
          throw new Error(`md5 of the bytes Swift served for ${container}/${name} (${out.md5}) differs from its etag ${etag}`);
        }
        const largeObject = slo ? { type: 'slo', manifestStream: streamName } : dloPrefix ? { type: 'dlo', prefix: dloPrefix } : undefined;
        return {
          data: [{ stream: streamName, size: out.size, sha256: out.sha256, ...(etag ? { cloudChecksum: `etag:${etag}` } : {}) }],
          ...(largeObject ? { fields: { largeObject } } : {}),
        };
      },
    }));
};
