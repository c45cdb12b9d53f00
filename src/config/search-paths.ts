// Where clouds.yaml and secure.yaml are looked for, in openstacksdk's order: the file named by
// OS_CLIENT_CONFIG_FILE (OS_CLIENT_SECURE_FILE for secure.yaml) first, then the current
// directory, the user's config directory, the site directory. The first file that exists wins;
// files are never merged with each other (only secure.yaml is merged into clouds.yaml).
import os from 'node:os';
import path from 'node:path';

export interface SearchContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Home directory (tests point it at a temp dir). */
  home?: string;
}

const EXTENSIONS = ['yaml', 'yml', 'json'];

function configDirs(ctx: SearchContext): string[] {
  const home = ctx.home ?? ctx.env.HOME ?? os.homedir();
  const userConfig = ctx.env.XDG_CONFIG_HOME ? path.join(ctx.env.XDG_CONFIG_HOME, 'openstack') : path.join(home, '.config', 'openstack');
  return [ctx.cwd, userConfig, '/etc/openstack'];
}

function candidates(ctx: SearchContext, base: string, envVar: string): string[] {
  const out: string[] = [];
  const explicit = ctx.env[envVar];
  if (explicit) out.push(path.resolve(ctx.cwd, explicit));
  for (const dir of configDirs(ctx)) for (const ext of EXTENSIONS) out.push(path.join(dir, `${base}.${ext}`));
  return out;
}

/** Candidate clouds.yaml paths, most important first. */
export function cloudsFileCandidates(ctx: SearchContext): string[] {
  return candidates(ctx, 'clouds', 'OS_CLIENT_CONFIG_FILE');
}

/** Candidate secure.yaml paths, most important first. */
export function secureFileCandidates(ctx: SearchContext): string[] {
  return candidates(ctx, 'secure', 'OS_CLIENT_SECURE_FILE');
}
