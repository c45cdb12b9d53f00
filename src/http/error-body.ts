// Extracts the service's own message from an OpenStack error body. Every service has its own
// shape: Nova/Cinder `{"itemNotFound": {"message": ..}}`, Neutron `{"NeutronError": {"message"}}`,
// Keystone `{"error": {"message"}}`, Placement `{"errors": [{"detail"}]}`, Glance and Swift
// HTML or plain text (webob pages: `<h1>404 Not Found</h1>No image found with ID ...`).

const MAX_MESSAGE = 500;

function clip(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > MAX_MESSAGE ? `${t.slice(0, MAX_MESSAGE)}…` : t;
}

function fromObject(o: Record<string, unknown>, depth = 0): string | undefined {
  for (const key of ['message', 'detail', 'faultstring', 'description', 'error_description', 'title']) {
    const v = o[key];
    if (typeof v === 'string' && v.trim()) {
      // Keystone puts the useful text in `message`; Neutron adds `detail` often empty.
      return v;
    }
  }
  if (Array.isArray(o.errors) && o.errors.length > 0 && typeof o.errors[0] === 'object' && o.errors[0] !== null) {
    const msgs = (o.errors as Record<string, unknown>[]).map((e) => fromObject(e, depth + 1)).filter(Boolean);
    if (msgs.length) return msgs.join('; ');
  }
  if (typeof o.error === 'string' && o.error.trim()) return o.error;
  if (depth > 2) return undefined;
  // Wrapper objects: {"itemNotFound": {...}}, {"NeutronError": {...}}, {"error": {...}}, {"badRequest": {...}}.
  for (const v of Object.values(o)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const m = fromObject(v as Record<string, unknown>, depth + 1);
      if (m) return m;
    }
  }
  return undefined;
}

function fromHtml(html: string): string {
  let body = html;
  const bodyMatch = /<body[^>]*>([\s\S]*?)<\/body>/i.exec(html);
  if (bodyMatch) body = bodyMatch[1]!;
  // The <h1>/<title> repeat the status line, which the error already states.
  body = body.replace(/<title[^>]*>[\s\S]*?<\/title>/gi, ' ').replace(/<h1[^>]*>[\s\S]*?<\/h1>/gi, ' ');
  const text = body
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
  const cleaned = clip(text);
  if (cleaned) return cleaned;
  const h1 = /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(html) ?? /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html);
  return h1 ? clip(h1[1]!.replace(/<[^>]+>/g, ' ')) : '';
}

/** The service's message, or undefined when the body carries none. */
export function parseErrorBody(body: string | Buffer | undefined, contentType?: string): string | undefined {
  if (body === undefined) return undefined;
  const text = (typeof body === 'string' ? body : body.toString('utf8')).trim();
  if (!text) return undefined;
  const looksJson = text.startsWith('{') || text.startsWith('[') || /json/i.test(contentType ?? '');
  if (looksJson) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
        const m = fromObject(parsed as Record<string, unknown>);
        // Glance wraps webob text in JSON, `<br />` included.
        if (m) return clip(/<[a-z!/][^>]*>/i.test(m) ? fromHtml(m) : m);
      }
      if (typeof parsed === 'string') return clip(parsed);
    } catch {
      /* not JSON after all: fall through to text handling */
    }
  }
  if (/<[a-z!][^>]*>/i.test(text)) {
    const m = fromHtml(text);
    return m || undefined;
  }
  return clip(text);
}
