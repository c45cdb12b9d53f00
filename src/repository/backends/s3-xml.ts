// The few S3 XML documents the backend reads: ListObjectsV2 results and error bodies. They are
// flat and machine-generated, so a tag scanner is enough (no XML library on the data path).

function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos);/gi, (_m, ent: string) => {
    const e = ent.toLowerCase();
    if (e === 'amp') return '&';
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    return String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

/** Text of the first `<tag>…</tag>` in `xml`, decoded; undefined when absent. */
export function xmlText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return m ? decodeXml(m[1]) : undefined;
}

export interface ListPage {
  objects: { key: string; size: number }[];
  /** Token for the next page, undefined on the last page. */
  nextToken?: string;
}

export function parseListObjectsV2(xml: string): ListPage {
  const objects: { key: string; size: number }[] = [];
  for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
    const key = xmlText(m[1], 'Key');
    const size = Number(xmlText(m[1], 'Size'));
    if (key === undefined || !Number.isFinite(size)) {
      throw new Error('malformed ListObjectsV2 response: <Contents> without <Key> or <Size>');
    }
    objects.push({ key, size });
  }
  const truncated = xmlText(xml, 'IsTruncated') === 'true';
  const nextToken = truncated ? xmlText(xml, 'NextContinuationToken') : undefined;
  if (truncated && !nextToken) {
    throw new Error('malformed ListObjectsV2 response: truncated listing without NextContinuationToken');
  }
  return { objects, nextToken };
}

/** `<Error><Code>…</Code><Message>…</Message></Error>` → its code and message (if any). */
export function parseS3Error(body: Buffer | string): { code?: string; message?: string } {
  const xml = typeof body === 'string' ? body : body.subarray(0, 8192).toString('utf8');
  return { code: xmlText(xml, 'Code'), message: xmlText(xml, 'Message') };
}
