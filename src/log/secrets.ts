// Secret scrubbing shared by the logger and by every error the access layer builds.
// Two layers, because either alone leaks: a registry of the exact secret values this process
// knows (passwords, application-credential secrets, tokens it received), and patterns for
// secrets it never saw (a Fernet token echoed by a server, an `X-Auth-Token: ...` line).

export const REDACTED = '***';

/** Values shorter than this are not scrubbed by value: "a" would blank every log line. */
const MIN_SECRET_LENGTH = 4;

const knownSecrets = new Set<string>();

/** Registers a secret value so that it is replaced by *** wherever it appears in logs/errors. */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value === 'string' && value.length >= MIN_SECRET_LENGTH) knownSecrets.add(value);
}

/** Header names whose values are credentials (lower case). */
export const SECRET_HEADERS = new Set([
  'x-auth-token',
  'x-subject-token',
  'x-service-token',
  'authorization',
  'x-storage-token',
  'x-auth-key',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-account-meta-temp-url-key',
  'x-account-meta-temp-url-key-2',
  'x-container-meta-temp-url-key',
  'x-container-meta-temp-url-key-2',
]);

/** Object keys whose values are credentials, wherever they appear (lower case, `-` → `_`). */
const SECRET_KEYS = new Set([
  'password',
  'secret',
  'token',
  'auth_token',
  'x_auth_token',
  'x_subject_token',
  'application_credential_secret',
  'os_password',
  'os_application_credential_secret',
  'private_key',
  'authorization',
  'access_token',
  'refresh_token',
  'client_secret',
]);

export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase().replace(/-/g, '_'));
}

const PATTERNS: Array<[RegExp, string]> = [
  // Fernet tokens (Keystone's default token format) always start with gAAAAA.
  [/gAAAAA[A-Za-z0-9_\-=]{20,}/g, REDACTED],
  // JWS tokens (Keystone's other format): three base64url parts.
  [/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g, REDACTED],
  // Header lines in free text.
  [/((?:x-auth-token|x-subject-token|x-service-token|authorization)\s*[:=]\s*)("?)[^\s",;]+/gi, `$1$2${REDACTED}`],
  // JSON-ish `"password": "..."` or `"secret": "..."` in server echoes and request dumps.
  [/("(?:password|secret|application_credential_secret|token)"\s*:\s*")((?:[^"\\]|\\.)*)(")/gi, `$1${REDACTED}$3`],
];

/** Returns `text` with every known secret value and every secret-looking pattern replaced. */
export function scrubText(text: string): string {
  let out = text;
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  for (const [re, replacement] of PATTERNS) out = out.replace(re, replacement);
  return out;
}

/** Deep copy of `value` with secret keys censored and every string scrubbed. */
export function scrubValue(value: unknown, depth = 0): unknown {
  if (depth > 12) return '[deep]';
  if (typeof value === 'string') return scrubText(value);
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1));
  if (value instanceof Error) {
    return { type: value.name, message: scrubText(value.message), stack: value.stack ? scrubText(value.stack) : undefined };
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = isSecretKey(k) || SECRET_HEADERS.has(k.toLowerCase()) ? REDACTED : scrubValue(v, depth + 1);
    }
    return out;
  }
  return value;
}

/** Headers safe to print: credential headers censored, everything else scrubbed. */
export function redactHeaders(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    out[k] = SECRET_HEADERS.has(k.toLowerCase()) ? REDACTED : scrubValue(v);
  }
  return out;
}
