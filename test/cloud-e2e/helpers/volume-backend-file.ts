// A Cinder volume's bytes seen through its backend file on the local cloud's NFS driver: the
// overwrite suites write "guest data" into a volume and read it back without a guest OS.
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ComputeClient } from '../../../services/compute/client.js';

const run = promisify(execFile);
const MiB = 2 ** 20;
const STATE = process.env.DEVCLOUD_STATE ?? '/var/lib/devcloud';
const WAIT = { timeoutMs: 10 * 60_000, intervalMs: 2000 };

/** The file that holds the volume's current bytes (after snapshots: the active overlay), and its format. */
export async function activeVolumeFile(volumeId: string): Promise<{ file: string; format: string }> {
  const exportDir = path.join(STATE, 'cinder', 'export');
  const info = path.join(exportDir, `volume-${volumeId}.info`);
  const file = existsSync(info) ? path.join(exportDir, String((JSON.parse(readFileSync(info, 'utf8')) as { active: string }).active)) : path.join(exportDir, `volume-${volumeId}`);
  if (!existsSync(file)) throw new Error(`the backend file of volume ${volumeId} (${file}) is not there`);
  const { stdout } = await run('qemu-img', ['info', '-U', '--output=json', file]);
  return { file, format: String((JSON.parse(stdout) as { format: string }).format) };
}

/**
 * "Guest writes": bytes into the volume through its backend file (as seed-demo.sh does). A raw
 * file is written directly. Once a backup has snapshotted the attached volume (snapshot → clone,
 * the snapshot deleted again) the NFS driver leaves a standalone qcow2 as the active file: that is
 * written through qemu-io (pieces staged in `scratchDir`), with the server (whose qemu holds the
 * image lock) stopped meanwhile.
 */
export async function writeIntoVolume(scratchDir: string, volumeId: string, parts: Array<[number, Buffer]>, server?: { nova: ComputeClient; id: string }): Promise<void> {
  const { file, format } = await activeVolumeFile(volumeId);
  if (format === 'raw') {
    const fd = openSync(file, 'r+');
    try {
      for (const [offset, bytes] of parts) writeSync(fd, bytes, 0, bytes.length, offset);
    } finally {
      closeSync(fd);
    }
    await run('sync', []);
    return;
  }
  if (!server) throw new Error(`volume ${volumeId}: its active file ${file} is ${format}: writing it needs its server stopped`);
  await server.nova.stop(server.id);
  await server.nova.waitForServer(server.id, ['SHUTOFF'], WAIT);
  try {
    for (const [offset, bytes] of parts) {
      const tmp = path.join(scratchDir, `write-${offset}.bin`);
      writeFileSync(tmp, bytes);
      await run('qemu-io', ['-f', format, '-c', `write -s ${tmp} ${offset} ${bytes.length}`, file]);
    }
  } finally {
    await server.nova.start(server.id);
    await server.nova.waitForServer(server.id, ['ACTIVE'], WAIT);
  }
}

function readHead(file: string, length: number): Buffer {
  const head = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, length, 0);
  } finally {
    closeSync(fd);
  }
  return head;
}

/** The first `length` bytes of what the volume holds, read from its active backend file (raw or qcow2, converted in `scratchDir`). */
export async function volumeHead(scratchDir: string, volumeId: string, length: number): Promise<Buffer> {
  const { file, format } = await activeVolumeFile(volumeId);
  if (format === 'raw') return readHead(file, length);
  const out = path.join(scratchDir, `head-${randomBytes(4).toString('hex')}.bin`);
  await run('qemu-img', ['dd', '-U', '-f', format, '-O', 'raw', `if=${file}`, `of=${out}`, 'bs=1M', `count=${Math.ceil(length / MiB)}`]);
  return readHead(out, length);
}
