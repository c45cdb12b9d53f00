// createOnce: a create whose answer was lost is resolved by a look-up by name, never by a blind duplicate.
import { describe, expect, it } from 'vitest';
import { createOnce } from '../../services/common/create-once.js';
import { BadRequestError, ServerError, UnreachableError } from '../../src/http/errors.js';

const info = { service: 'volumev3', method: 'POST', url: 'http://cinder/v3/p/snapshots' };

describe('createOnce', () => {
  it('adopts what a create whose answer was lost made, and does not create again', async () => {
    let creates = 0;
    const made: string[] = [];
    const id = await createOnce({
      create: async () => {
        creates++;
        made.push('snap-1');
        throw new ServerError({ ...info, statusCode: 502 });
      },
      find: async () => made[0],
      pauseMs: 1,
    });
    expect(id).toBe('snap-1');
    expect(creates).toBe(1);
  });

  it('creates again only when the look-up finds nothing', async () => {
    let creates = 0;
    const id = await createOnce({
      create: async () => {
        if (++creates === 1) throw new UnreachableError(info, 'ECONNRESET');
        return 'snap-2';
      },
      find: async () => undefined,
      pauseMs: 1,
    });
    expect(id).toBe('snap-2');
    expect(creates).toBe(2);
  });

  it('passes other errors on at once, and gives up after the attempts', async () => {
    let creates = 0;
    const bad = createOnce({
      create: async () => {
        creates++;
        throw new BadRequestError({ ...info, statusCode: 400 });
      },
      find: async () => undefined,
      pauseMs: 1,
    });
    await expect(bad).rejects.toBeInstanceOf(BadRequestError);
    expect(creates).toBe(1);
    creates = 0;
    const lost = createOnce({
      create: async () => {
        creates++;
        throw new ServerError({ ...info, statusCode: 503 });
      },
      find: async () => undefined,
      attempts: 3,
      pauseMs: 1,
    });
    await expect(lost).rejects.toBeInstanceOf(ServerError);
    expect(creates).toBe(3);
  });
});
