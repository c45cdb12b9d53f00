// Repair never destroys a file it takes out of use: it moves it under `lost/` (same key below
// it), where no command reads it, so that it can be inspected or put back by hand.
import { LOST_PREFIX } from '../format.js';
import type { Backend } from '../types.js';

export async function moveAside(backend: Backend, key: string): Promise<string> {
  const to = `${LOST_PREFIX}${key}`;
  let data: Buffer | undefined;
  try {
    data = await backend.get(key);
  } catch {
    return to; // already gone
  }
  await backend.put(to, data);
  await backend.delete(key);
  return to;
}
