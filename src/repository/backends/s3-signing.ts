// AWS Signature Version 4 for S3 requests, through the aws4 library. Kept apart from the HTTP
// client so that it can be checked against AWS's published examples.
import aws4 from 'aws4';
import type { S3Credentials } from './s3-config.js';

export interface SignInput {
  method: string;
  /** Host header value (`bucket.s3.amazonaws.com`, `127.0.0.1:8080`). */
  host: string;
  /** Encoded path with query string. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  region: string;
  credentials: S3Credentials;
  /** Signing time; now when left out. */
  date?: Date;
}

function amzDate(d: Date): string {
  return d.toISOString().replace(/[:-]|\.\d{3}/g, '');
}

/** The request headers with Host, X-Amz-Date, X-Amz-Content-Sha256 and Authorization added. */
export function signS3Request(input: SignInput): Record<string, string> {
  const headers: Record<string, string> = { ...input.headers, 'X-Amz-Date': amzDate(input.date ?? new Date()) };
  const signed = aws4.sign(
    { host: input.host, path: input.path, method: input.method, service: 's3', region: input.region, headers, body: input.body },
    input.credentials,
  );
  return signed.headers as Record<string, string>;
}
