// Glance updates images with JSON-patch (RFC 6902, media type
// application/openstack-images-v2.1-json-patch). Custom properties are top-level keys of the
// image, so "set these properties" becomes add/replace/remove operations against the current image.

export type ImagePatchOp =
  | { op: 'add' | 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/** Escapes a key for a JSON pointer (`~` → `~0`, `/` → `~1`). */
export function pointer(key: string): string {
  return `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/**
 * Operations that turn `current` into `current` with `changes` applied; a change whose value is
 * `null` removes the property (when present). Unchanged values produce no operation.
 */
export function propertyPatch(current: Record<string, unknown>, changes: Record<string, unknown>): ImagePatchOp[] {
  const ops: ImagePatchOp[] = [];
  for (const [key, value] of Object.entries(changes)) {
    const exists = Object.prototype.hasOwnProperty.call(current, key);
    if (value === null || value === undefined) {
      if (exists) ops.push({ op: 'remove', path: pointer(key) });
      continue;
    }
    if (exists && JSON.stringify(current[key]) === JSON.stringify(value)) continue;
    ops.push({ op: exists ? 'replace' : 'add', path: pointer(key), value });
  }
  return ops;
}
