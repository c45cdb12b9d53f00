// The repository's `config` object: format version and the parameters every writer must share.
// Stored in clear (it holds no secret) so that the version can be checked before any key is tried.
import { ExitCode, PermafrostError } from '../errors.js';
import { DEFAULT_CDC_PARAMS, type CdcParams } from '../../streams/cdc-chunker.js';
import { DEFAULT_FIXED_CHUNK_SIZE } from '../../streams/fixed-chunker.js';
import { BLOCK_SIZE } from '../../streams/keyed-hash.js';
import type { Backend } from './types.js';
import { CONFIG_KEY, FORMAT_NAME, FORMAT_VERSION, randomId, requireVersion } from './format.js';

export interface RepoConfig {
  format: typeof FORMAT_NAME;
  version: number;
  id: string;
  created: string;
  fixedChunkSize: number;
  blockSize: number;
  cdc: CdcParams;
  /** Target size of a pack object in bytes. */
  packSize: number;
  /** zstd level for new chunks (0 = no compression). */
  compressionLevel: number;
  /** Longest chain of sub-block deltas before a full chunk is stored again. */
  maxDeltaDepth: number;
}

export type RepoConfigOverrides = Partial<Pick<RepoConfig, 'fixedChunkSize' | 'packSize' | 'compressionLevel' | 'maxDeltaDepth' | 'cdc'>>;

export function newConfig(overrides: RepoConfigOverrides = {}): RepoConfig {
  const cfg: RepoConfig = {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    id: randomId(16),
    created: new Date().toISOString(),
    fixedChunkSize: DEFAULT_FIXED_CHUNK_SIZE,
    blockSize: BLOCK_SIZE,
    cdc: DEFAULT_CDC_PARAMS,
    // 8 MiB: a backup holds two pack buffers (the one filling, the one being written); with 16 MiB
    // packs they alone were 34 MiB and a 2 GiB backup peaked at 165-178 MiB RSS (149 with 8 MiB).
    packSize: 8 * 1024 * 1024,
    compressionLevel: 1,
    maxDeltaDepth: 4,
    ...overrides,
  };
  if (cfg.fixedChunkSize % cfg.blockSize !== 0) throw new PermafrostError(`chunk size must be a multiple of ${cfg.blockSize}`, ExitCode.usage);
  if (cfg.compressionLevel < 0 || cfg.compressionLevel > 19) throw new PermafrostError('compression level must be 0…19', ExitCode.usage);
  return cfg;
}

export async function readConfig(backend: Backend): Promise<RepoConfig> {
  if (!(await backend.stat(CONFIG_KEY))) {
    throw new PermafrostError(`no permafrost repository at ${backend.location}: create one with \`permafrost repo init --repo URL\``, ExitCode.repository);
  }
  let cfg: RepoConfig;
  try {
    cfg = JSON.parse((await backend.get(CONFIG_KEY)).toString('utf8')) as RepoConfig;
  } catch (err) {
    throw new PermafrostError(`the config of ${backend.location} is not valid JSON: not a permafrost repository, or damaged`, ExitCode.repository, { cause: err });
  }
  if (cfg.format !== FORMAT_NAME) {
    throw new PermafrostError(`${backend.location} is not a permafrost repository (config format "${String(cfg.format)}")`, ExitCode.repository);
  }
  requireVersion('the repository config', cfg.version, backend.location);
  return cfg;
}
