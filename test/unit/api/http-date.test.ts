import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { httpDate } from '../../../src/api/http-util.js';

describe('httpDate', () => {
  it('is what Date#toUTCString gives, whether remembered or not', () => {
    const ms = fc.integer({ min: 0, max: 4_102_444_800_000 });
    fc.assert(
      fc.property(fc.array(ms, { minLength: 1, maxLength: 8 }), (times) => {
        for (const t of times) {
          expect(httpDate(t)).toBe(new Date(t).toUTCString());
          // Again within the same second: from what it remembers.
          expect(httpDate(t - (t % 1000) + 999)).toBe(new Date(t).toUTCString());
        }
      }),
      { numRuns: 500 },
    );
    expect(httpDate(NaN)).toBe('Invalid Date');
  });
});
