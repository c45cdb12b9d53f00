// The body of `POST /v3/auth/tokens` for the configured credentials and scope.
import type { Credentials, Scope } from '../config/cloud-config.js';

function userRef(c: { userId?: string; username?: string; userDomainId?: string; userDomainName?: string }): Record<string, unknown> {
  if (c.userId) return { id: c.userId };
  return {
    name: c.username,
    domain: c.userDomainId ? { id: c.userDomainId } : { name: c.userDomainName },
  };
}

function scopeBody(scope: Scope): Record<string, unknown> | undefined {
  switch (scope.kind) {
    case 'project': {
      if (scope.id) return { project: { id: scope.id } };
      return { project: { name: scope.name, domain: scope.domainId ? { id: scope.domainId } : { name: scope.domainName } } };
    }
    case 'domain':
      return { domain: scope.id ? { id: scope.id } : { name: scope.name } };
    case 'unscoped':
      return undefined;
  }
}

export function buildAuthRequest(credentials: Credentials, scope: Scope): Record<string, unknown> {
  let identity: Record<string, unknown>;
  if (credentials.kind === 'password') {
    identity = { methods: ['password'], password: { user: { ...userRef(credentials), password: credentials.password } } };
  } else {
    const appCred: Record<string, unknown> = credentials.id
      ? { id: credentials.id, secret: credentials.secret }
      : { name: credentials.name, user: userRef(credentials), secret: credentials.secret };
    identity = { methods: ['application_credential'], application_credential: appCred };
  }
  const scopePart = credentials.kind === 'password' ? scopeBody(scope) : undefined;
  return { auth: scopePart ? { identity, scope: scopePart } : { identity } };
}

/** Human description of whom we authenticate as (no secrets), for error messages. */
export function describeCredentials(credentials: Credentials): string {
  if (credentials.kind === 'application_credential') {
    return `application credential ${credentials.id ?? credentials.name}`;
  }
  return `user ${credentials.userId ?? credentials.username}`;
}
