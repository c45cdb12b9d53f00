import { describe, expect, it } from 'vitest';
import { signS3Request } from '../../../src/repository/backends/s3-signing.js';

// Examples of AWS's "Signature Calculations for the Authorization Header"
// (Amazon S3 API reference, sig-v4-header-based-auth), with its published signature.
describe('signS3Request', () => {
  it('reproduces AWS’s published example for a sub-resource query (?lifecycle)', () => {
    const headers = signS3Request({
      method: 'GET',
      host: 'examplebucket.s3.amazonaws.com',
      path: '/?lifecycle',
      headers: {},
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      date: new Date('2013-05-24T00:00:00Z'),
    });
    expect(headers.Authorization).toContain('Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543');
  });

  it('reproduces AWS’s published example for a ListObjects query', () => {
    const headers = signS3Request({
      method: 'GET',
      host: 'examplebucket.s3.amazonaws.com',
      path: '/?max-keys=2&prefix=J',
      headers: {},
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      date: new Date('2013-05-24T00:00:00Z'),
    });
    expect(headers.Authorization).toContain('Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
  });

  it('signs the session token and the payload hash of an upload', () => {
    const headers = signS3Request({
      method: 'PUT',
      host: '127.0.0.1:8080',
      path: '/bucket/key',
      headers: { 'Content-Length': '5', 'Content-Type': 'application/octet-stream' },
      body: Buffer.from('hello'),
      region: 'RegionOne',
      credentials: { accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'TOKEN' },
    });
    expect(headers['X-Amz-Security-Token']).toBe('TOKEN');
    expect(headers['X-Amz-Content-Sha256']).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
    expect(headers.Authorization).toMatch(/SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/);
  });
});
