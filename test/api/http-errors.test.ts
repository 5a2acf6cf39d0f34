// The API's error answers: a coded error keeps its status and message; a bug (INTERNAL, or any
// uncoded throw) answers a generic 500 whose detail stays in the log.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, SecureSphereError } from '../../src/core/errors.js';
import { errorHandler } from '../../src/api/http-errors.js';

describe('errorHandler', () => {
  let app: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    app = Fastify({ logger: false });
    app.setErrorHandler(errorHandler);
    app.get('/coded', () => {
      throw new SecureSphereError(ERROR_CODES.APPROVAL_NOT_FOUND, 'No such approval; list them with `securesphere approvals`.');
    });
    app.get('/internal', () => {
      throw new SecureSphereError(ERROR_CODES.INTERNAL, 'seccomp: bad jump to x at 3');
    });
    app.get('/uncoded', () => {
      throw new RangeError('index 7 out of range');
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => app.close());

  it('answers a coded error with its status, code and message', async () => {
    const res = await fetch(`${base}/coded`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: ERROR_CODES.APPROVAL_NOT_FOUND, message: 'No such approval; list them with `securesphere approvals`.' } });
  });

  it('keeps the message of an INTERNAL or uncoded error out of the answer', async () => {
    for (const path of ['/internal', '/uncoded']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: { code: ERROR_CODES.INTERNAL, message: 'Internal error; the gateway log has details.' } });
    }
  });
});
