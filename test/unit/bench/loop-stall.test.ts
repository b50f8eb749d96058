import { describe, expect, it } from 'vitest';
import { LoopStallSampler, schedstatAvailable } from '../../../bench/loop-stall.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('LoopStallSampler', () => {
  it('counts a block of the JS thread as its own lateness', async () => {
    const s = new LoopStallSampler();
    s.start();
    await sleep(5);
    const end = performance.now() + 40;
    while (performance.now() < end) {
      // the JS thread is busy: the timer cannot fire
    }
    await sleep(5);
    const r = s.stop();
    expect(r.ticks).toBeGreaterThan(1);
    expect(r.maxLateMs).toBeGreaterThanOrEqual(30);
    // The thread was on a CPU the whole time, except what the machine took away (run-queue wait).
    expect(r.maxOwnMs + r.runQueueMsAtMaxLate).toBeGreaterThanOrEqual(r.maxLateMs - 0.001);
    expect(r.maxOwnMs).toBeGreaterThanOrEqual(10);
  });

  it('stops ticking when stopped, and starts afresh', async () => {
    const s = new LoopStallSampler();
    s.start();
    await sleep(20);
    const first = s.stop();
    await sleep(20);
    expect(s.stop().ticks).toBe(first.ticks);
    const t0 = performance.now();
    s.start();
    await sleep(10);
    const second = s.stop();
    // At most one tick per elapsed millisecond: the count began again at start().
    expect(second.ticks).toBeGreaterThan(0);
    expect(second.ticks).toBeLessThanOrEqual(Math.ceil(performance.now() - t0) + 1);
  });

  it('reads the per-thread run-queue wait on Linux', () => {
    expect(schedstatAvailable()).toBe(process.platform === 'linux');
  });
});
