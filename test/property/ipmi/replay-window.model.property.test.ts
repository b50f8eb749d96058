/** Model-based test of the replay window against a plain set of the sequences seen. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REPLAY_WINDOW, ReplayWindow } from '../../../bindings/ipmi/replay-window.js';

describe('replay window (model-based)', () => {
  it('accepts exactly the new sequences no more than the window behind the highest', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 300 }), (seqs) => {
        const w = new ReplayWindow();
        const seen = new Set<number>();
        let highest = -1;
        for (const s of seqs) {
          const expected = s !== 0 && !seen.has(s) && (highest < 0 || s > highest || highest - s < REPLAY_WINDOW);
          expect(w.accept(s)).toBe(expected);
          if (expected) {
            seen.add(s);
            highest = Math.max(highest, s);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
