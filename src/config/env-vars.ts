// Plain OS_* environment variables → the same raw shape as a clouds.yaml entry, as
// openstacksdk does it: every OS_<KEY> becomes `<key>`, auth keys move under `auth`.

/** Keys that belong under `auth:` in clouds.yaml. */
export const AUTH_KEYS = [
  'auth_url',
  'username',
  'user_id',
  'password',
  'project_name',
  'project_id',
  'tenant_name',
  'tenant_id',
  'user_domain_name',
  'user_domain_id',
  'project_domain_name',
  'project_domain_id',
  'domain_name',
  'domain_id',
  'default_domain_name',
  'default_domain_id',
  'application_credential_id',
  'application_credential_name',
  'application_credential_secret',
  'system_scope',
] as const;

/** Variables that only select or tune a cloud: alone they do not make an "envvars" cloud. */
const SELECTORS = new Set(['OS_CLOUD', 'OS_REGION_NAME', 'OS_CLIENT_CONFIG_FILE', 'OS_CLIENT_SECURE_FILE', 'OS_CLOUD_NAME']);

/** Variables that are not cloud settings at all (logging, test harnesses, python clients). */
const IGNORED_PREFIXES = ['OS_TEST', 'OS_STD', 'OS_LOG'];

const BOOLEAN_KEYS = new Set(['insecure', 'verify']);

function parseBoolean(value: string): boolean | string {
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  return value;
}

/** Name of the variable that sets a dotted config key (`auth.auth_url` → `OS_AUTH_URL`). */
export function envVarForKey(key: string): string {
  const last = key.startsWith('auth.') ? key.slice(5) : key;
  return `OS_${last.toUpperCase()}`;
}

/**
 * The cloud the OS_* variables describe, or undefined when none but selectors are set.
 * The result uses clouds.yaml keys so that the same validation and messages apply.
 */
export function cloudFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> | undefined {
  const keys = Object.keys(env).filter(
    (k) => k.startsWith('OS_') && env[k] !== undefined && !IGNORED_PREFIXES.some((p) => k.startsWith(p)),
  );
  if (!keys.some((k) => !SELECTORS.has(k))) return undefined;
  const auth: Record<string, unknown> = {};
  const cloud: Record<string, unknown> = {};
  for (const k of keys) {
    if (SELECTORS.has(k) && k !== 'OS_REGION_NAME') continue;
    const key = k.slice(3).toLowerCase();
    const raw = env[k] as string;
    if ((AUTH_KEYS as readonly string[]).includes(key)) auth[key] = raw;
    else cloud[key] = BOOLEAN_KEYS.has(key) ? parseBoolean(raw) : raw;
  }
  // openstackclient's OS_ENDPOINT_TYPE is the old name of OS_INTERFACE.
  if (cloud.interface === undefined && cloud.endpoint_type !== undefined) cloud.interface = cloud.endpoint_type;
  if (cloud.api_timeout !== undefined && /^\d+(\.\d+)?$/.test(String(cloud.api_timeout))) cloud.api_timeout = Number(cloud.api_timeout);
  cloud.auth = auth;
  return cloud;
}
