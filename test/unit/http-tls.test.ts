// TLS settings of a cloud (verify, cacert, cert/key) against a throwaway HTTPS server on
// 127.0.0.1 with a self-signed certificate made for the test.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgents } from '../../src/http/agents.js';
import { UnreachableError } from '../../src/http/errors.js';
import { Transport } from '../../src/http/transport.js';
import { createLogger } from '../../src/log/logger.js';
import { ConfigError } from '../../src/errors.js';

let dir: string;
let certFile: string;
let keyFile: string;
let server: https.Server;
let url: string;
const logger = createLogger();
const noRetry = { limit: 0, baseDelayMs: 10, maxDelayMs: 10, maxRetryAfterMs: 10 };

function selfSigned(): { cert: string; key: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 3_600_000);
  const attrs = [{ name: 'commonName', value: '127.0.0.1' }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true },
    { name: 'keyUsage', keyCertSign: true, digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keyPem };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pf-tls-'));
  const { cert, key } = selfSigned();
  certFile = path.join(dir, 'cert.pem');
  keyFile = path.join(dir, 'key.pem');
  writeFileSync(certFile, cert);
  writeFileSync(keyFile, key);
  server = https.createServer({ cert, key, ca: cert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ clientCert: Boolean(peer && peer.subject) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

async function get(tls: Parameters<typeof createAgents>[0]) {
  const agents = createAgents(tls, false);
  try {
    const t = new Transport({ agents, logger, retryPolicy: noRetry });
    const res = await t.send({ service: 'identity', method: 'GET', url, headers: {}, timeoutMs: 5000 });
    return JSON.parse(res.rawBody.toString()) as { clientCert: boolean };
  } finally {
    agents.destroy();
  }
}

describe('TLS', () => {
  it('refuses an untrusted certificate with a hint about cacert/--insecure', async () => {
    const err = await get({ verify: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as UnreachableError).code).toMatch(/SELF_SIGNED|UNABLE_TO/);
    expect((err as Error).message).toContain('the TLS certificate is not trusted');
  });
  it('trusts it with cacert', async () => {
    expect(await get({ verify: true, cacert: certFile })).toEqual({ clientCert: false });
  });
  it('accepts anything with verify: false', async () => {
    expect(await get({ verify: false })).toEqual({ clientCert: false });
  });
  it('presents a client certificate (cert + key)', async () => {
    expect(await get({ verify: true, cacert: certFile, cert: certFile, key: keyFile })).toEqual({ clientCert: true });
  });
  it('names an unreadable CA file', () => {
    expect(() => createAgents({ verify: true, cacert: path.join(dir, 'missing.pem') })).toThrow(ConfigError);
    expect(() => createAgents({ verify: true, cacert: path.join(dir, 'missing.pem') })).toThrow(/cacert .*missing\.pem cannot be read \(ENOENT\)/);
  });
});
