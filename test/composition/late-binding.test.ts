// The composition's forward edges: a late binding hands out what was bound, and reading it
// before the gateway built it is a coded bug report, not an undefined call.
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, isSecureSphereError } from '../../src/core/errors.js';
import { createLateBinding } from '../../src/composition/late-binding.js';

describe('createLateBinding', () => {
  it('refuses to be read before it is bound, then returns the bound value', () => {
    const host = createLateBinding<{ name: string }>('the channel host');
    const early = (() => {
      try {
        return host.get();
      } catch (err) {
        return err;
      }
    })();
    expect(isSecureSphereError(early, ERROR_CODES.INTERNAL)).toBe(true);
    expect((early as Error).message).toContain('the channel host was used before the gateway built it');
    const value = { name: 'host' };
    host.bind(value);
    expect(host.get()).toBe(value);
  });
});
