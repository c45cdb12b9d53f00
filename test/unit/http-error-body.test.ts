import { describe, expect, it } from 'vitest';
import { parseErrorBody } from '../../src/http/error-body.js';
import { errorForStatus, ConflictError, ForbiddenError, NotFoundError, RateLimitedError, ServerError, UnauthorizedError, BadRequestError } from '../../src/http/errors.js';
import { ExitCode } from '../../src/errors.js';
import { registerSecret } from '../../src/log/secrets.js';

describe('parseErrorBody', () => {
  it('Nova/Cinder wrapper objects', () => {
    expect(parseErrorBody('{"itemNotFound": {"message": "Instance x could not be found.", "code": 404}}')).toBe('Instance x could not be found.');
    expect(parseErrorBody('{"badRequest": {"code": 400, "message": "Invalid input for field/attribute name."}}')).toBe('Invalid input for field/attribute name.');
    expect(parseErrorBody('{"conflictingRequest": {"message": "Cannot \'pause\' instance while it is in vm_state stopped"}}')).toContain('vm_state stopped');
  });
  it('Neutron', () => {
    expect(parseErrorBody('{"NeutronError": {"type": "NetworkNotFound", "message": "Network nope could not be found.", "detail": ""}}')).toBe('Network nope could not be found.');
  });
  it('Keystone', () => {
    expect(parseErrorBody('{"error": {"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"}}')).toBe(
      'The request you have made requires authentication.',
    );
  });
  it('Placement errors list and top-level message', () => {
    expect(parseErrorBody('{"errors": [{"status": 404, "title": "Not Found", "detail": "No resource provider"}]}')).toBe('No resource provider');
    expect(parseErrorBody('{"message": "plain top-level"}')).toBe('plain top-level');
  });
  it('Glance HTML page and Glance JSON with HTML inside', () => {
    const html = '<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  No image found with ID nope<br /><br />\n\n\n\n </body>\n</html>';
    expect(parseErrorBody(html, 'text/html; charset=UTF-8')).toBe('No image found with ID nope');
    expect(parseErrorBody('{"message": "No image found with ID nope<br /><br />\\n\\n\\n", "code": "404 Not Found", "title": "Not Found"}')).toBe('No image found with ID nope');
  });
  it('Swift HTML and plain text', () => {
    expect(parseErrorBody('<html><h1>Not Found</h1><p>The resource could not be found.</p></html>')).toBe('The resource could not be found.');
    expect(parseErrorBody('<html><h1>Unauthorized</h1></html>')).toBe('Unauthorized');
    expect(parseErrorBody('Account PUT failed: quota exceeded', 'text/plain')).toBe('Account PUT failed: quota exceeded');
  });
  it('empty and long bodies', () => {
    expect(parseErrorBody('')).toBeUndefined();
    expect(parseErrorBody(undefined)).toBeUndefined();
    expect(parseErrorBody(Buffer.from('x'.repeat(2000)))!.length).toBeLessThanOrEqual(501);
    expect(parseErrorBody('{"weird": 1}')).toBe('{"weird": 1}');
  });
});

describe('typed errors', () => {
  const info = { service: 'compute', method: 'GET', url: 'http://127.0.0.1:8774/v2.1/servers/x', requestId: 'req-1', serviceMessage: 'Instance x could not be found.' };
  it('map statuses onto classes and exit codes', () => {
    const cases: Array<[number, new (...a: never[]) => Error, number]> = [
      [400, BadRequestError, ExitCode.internal],
      [401, UnauthorizedError, ExitCode.auth],
      [403, ForbiddenError, ExitCode.forbidden],
      [404, NotFoundError, ExitCode.notFound],
      [409, ConflictError, ExitCode.internal],
      [429, RateLimitedError, ExitCode.unreachable],
      [503, ServerError, ExitCode.unreachable],
    ];
    for (const [status, cls, exit] of cases) {
      const e = errorForStatus({ ...info, statusCode: status });
      expect(e).toBeInstanceOf(cls);
      expect(e.exitCode).toBe(exit);
      expect(e.statusCode).toBe(status);
    }
  });
  it('carry the service message and the request id', () => {
    const e = errorForStatus({ ...info, statusCode: 404 });
    expect(e.message).toBe('compute GET http://127.0.0.1:8774/v2.1/servers/x: 404 Not Found: Instance x could not be found. (request req-1)');
    expect(e.serviceMessage).toBe('Instance x could not be found.');
    expect(e.requestId).toBe('req-1');
  });
  it('scrub secrets from messages', () => {
    registerSecret('my-very-secret-password');
    const e = errorForStatus({ ...info, statusCode: 400, serviceMessage: 'bad password my-very-secret-password for token gAAAAABlongfernettokenvalue_0123456789abcdef' });
    expect(e.message).not.toContain('my-very-secret-password');
    expect(e.message).not.toContain('gAAAAABlongfernet');
    expect(e.message).toContain('***');
  });
});
