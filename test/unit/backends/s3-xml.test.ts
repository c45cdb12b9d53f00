import { describe, expect, it } from 'vitest';
import { parseListObjectsV2, parseS3Error } from '../../../src/repository/backends/s3-xml.js';

describe('S3 XML documents', () => {
  it('parses a truncated ListObjectsV2 page with escaped keys', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>r/</Prefix><KeyCount>2</KeyCount>
<IsTruncated>true</IsTruncated><NextContinuationToken>tok&amp;1</NextContinuationToken>
<Contents><Key>r/a&amp;b &lt;c&gt;</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>"x"</ETag><Size>12</Size></Contents>
<Contents><Key>r/&#252;</Key><Size>0</Size></Contents></ListBucketResult>`;
    expect(parseListObjectsV2(xml)).toEqual({
      objects: [
        { key: 'r/a&b <c>', size: 12 },
        { key: 'r/ü', size: 0 },
      ],
      nextToken: 'tok&1',
    });
  });

  it('treats a non-truncated page as the last one', () => {
    expect(parseListObjectsV2('<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>')).toEqual({ objects: [], nextToken: undefined });
  });

  it('rejects a truncated page without a continuation token', () => {
    expect(() => parseListObjectsV2('<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>')).toThrow(/NextContinuationToken/);
  });

  it('reads code and message of an error body', () => {
    expect(parseS3Error(Buffer.from('<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>'))).toEqual({
      code: 'NoSuchKey',
      message: 'The specified key does not exist.',
    });
    expect(parseS3Error('')).toEqual({ code: undefined, message: undefined });
  });
});
