// Dotted paths into a resource's `fields` (ResourceRef.field): `fixed_ips.0.subnet_id`,
// `fixed_ips[0].subnet_id` and `os-extended-volumes:volumes_attached.0.id` all address one value.
// Keys may contain ':' and '-' (OpenStack extension prefixes), never '.', so '.' is the only
// separator and `[n]` is sugar for `.n`.

export function splitPath(path: string): string[] {
  return path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((part) => part.length > 0);
}

export function getPath(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const part of splitPath(path)) {
    if (Array.isArray(cur)) {
      const index = Number(part);
      if (!Number.isInteger(index)) return undefined;
      cur = cur[index];
    } else if (cur !== null && typeof cur === 'object') {
      cur = (cur as Record<string, unknown>)[part];
    } else {
      return undefined;
    }
  }
  return cur;
}

/** Sets a value at an existing path; returns false (and changes nothing) when the path is absent. */
export function setPath(root: unknown, path: string, value: unknown): boolean {
  const parts = splitPath(path);
  if (parts.length === 0) return false;
  const parent = getPath(root, parts.slice(0, -1).join('.'));
  const last = parts[parts.length - 1]!;
  if (Array.isArray(parent)) {
    const index = Number(last);
    if (!Number.isInteger(index) || index < 0 || index >= parent.length) return false;
    parent[index] = value;
    return true;
  }
  if (parent !== null && typeof parent === 'object' && last in (parent as object)) {
    (parent as Record<string, unknown>)[last] = value;
    return true;
  }
  return false;
}

/** A plain deep copy of JSON-like data (fields come from JSON, so structuredClone is exact). */
export function cloneFields<T>(value: T): T {
  return structuredClone(value);
}

/**
 * Flattens JSON-like data into leaf paths (`a.b.0.c` → value). Empty objects and arrays are
 * leaves too, so that "{}" vs "missing" is still visible to a comparison.
 */
export function flattenLeaves(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(prefix, []);
    value.forEach((item, index) => flattenLeaves(item, prefix === '' ? String(index) : `${prefix}.${index}`, out));
  } else if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix !== '') out.set(prefix, {});
    for (const [key, item] of entries) flattenLeaves(item, prefix === '' ? key : `${prefix}.${key}`, out);
  } else if (prefix !== '') {
    out.set(prefix, value);
  }
  return out;
}
