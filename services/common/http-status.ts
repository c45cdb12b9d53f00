// The access layer throws typed errors (src/http/errors.ts) that carry the HTTP status. Service
// code only needs "which status was it" (403 → skipped kind, 404 → gone); reading the status
// structurally keeps this independent of the error class hierarchy.

/** The HTTP status carried by an error from a ServiceClient call, if any. */
export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { statusCode?: unknown; status?: unknown; response?: { statusCode?: unknown } };
  for (const candidate of [e.statusCode, e.status, e.response?.statusCode]) {
    if (typeof candidate === 'number' && candidate >= 100 && candidate < 600) return candidate;
  }
  return undefined;
}

export function isNotFound(err: unknown): boolean {
  return httpStatusOf(err) === 404;
}

export function isForbidden(err: unknown): boolean {
  return httpStatusOf(err) === 403;
}

export function isConflict(err: unknown): boolean {
  return httpStatusOf(err) === 409;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs `fn`; a 404 becomes `undefined` (for get-or-nothing lookups). */
export async function orUndefinedIfNotFound<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
