// The bound on engine calls that can block behind a container stuck mid-start.
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, isSecureSphereError } from '../../src/core/errors.js';
import { TimeoutError, withTimeout } from '../../src/core/with-timeout.js';

describe('withTimeout', () => {
  it('passes a result or an error through, and gives up on a promise that never settles', async () => {
    await expect(withTimeout(Promise.resolve(7), 1_000, 'x')).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('boom')), 1_000, 'x')).rejects.toThrow('boom');
    const never = new Promise<never>(() => undefined);
    const err = await withTimeout(never, 20, 'inspect').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toBe('inspect did not finish within 20 ms');
    expect(isSecureSphereError(err, ERROR_CODES.TIMEOUT)).toBe(true);
  });
});
