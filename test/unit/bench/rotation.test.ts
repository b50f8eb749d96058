import { describe, expect, it } from 'vitest';
import { rotation } from '../../../bench/harness.js';

describe('rotation', () => {
  it('puts each item first once per cycle of rounds, keeping the cyclic order', () => {
    const tools = ['ours', 'rados', 'python'] as const;
    expect([0, 1, 2, 3].map((r) => rotation(tools, r))).toEqual([
      ['ours', 'rados', 'python'],
      ['rados', 'python', 'ours'],
      ['python', 'ours', 'rados'],
      ['ours', 'rados', 'python'],
    ]);
    expect(tools).toEqual(['ours', 'rados', 'python']);
  });
});
