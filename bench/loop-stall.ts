/**
 * How late a 1-ms timer on the JS thread fires, split into the part the thread spent waiting for a
 * CPU and the rest.
 *
 * monitorEventLoopDelay answers "was the event loop late?", but on a small shared machine a
 * runnable JS thread also waits while other processes (QEMU, the daemon under test, another
 * benchmark) hold both cores. The kernel counts that wait per thread in
 * /proc/thread-self/schedstat (second field, ns): subtracting it from each tick's lateness leaves
 * what this process did to itself — JS or native work on the thread, GC, a blocking call — plus
 * what no guest counter shows: time the hypervisor took the whole vCPU away (steal). The total is
 * reported beside it.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface LoopStalls {
  /** Timer ticks observed. */
  ticks: number;
  /** Largest lateness of one tick, ms (what monitorEventLoopDelay's max shows, at 1-ms ticks). */
  maxLateMs: number;
  /** Largest lateness of one tick minus the time the thread waited for a CPU within it, ms. */
  maxOwnMs: number;
  /** For the tick with the largest lateness: how much of it was waiting for a CPU, ms. */
  runQueueMsAtMaxLate: number;
}

const SCHEDSTAT = '/proc/thread-self/schedstat';

/** Run-queue wait of the calling thread so far, ms; undefined where the kernel does not count it. */
function runDelayMs(): number | undefined {
  try {
    const f = fs.readFileSync(SCHEDSTAT, 'latin1').split(' ');
    const ns = Number(f[1]);
    return Number.isFinite(ns) ? ns / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

/** Whether per-thread scheduler statistics are available (without them maxOwnMs = maxLateMs). */
export function schedstatAvailable(): boolean {
  return runDelayMs() !== undefined;
}

/** Samples from start() until stop(); one timer, re-armed each tick so that lateness does not accumulate. */
export class LoopStallSampler {
  private timer: NodeJS.Timeout | undefined;
  private stalls: LoopStalls = { ticks: 0, maxLateMs: 0, maxOwnMs: 0, runQueueMsAtMaxLate: 0 };
  private due = 0;
  private lastDelay = 0;

  start(): void {
    this.stalls = { ticks: 0, maxLateMs: 0, maxOwnMs: 0, runQueueMsAtMaxLate: 0 };
    this.arm(runDelayMs() ?? 0);
  }

  stop(): LoopStalls {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    return { ...this.stalls };
  }

  private arm(delayNow: number): void {
    this.lastDelay = delayNow;
    this.due = performance.now() + 1;
    this.timer = setTimeout(() => this.tick(), 1);
  }

  private tick(): void {
    const late = Math.max(0, performance.now() - this.due);
    const delay = runDelayMs() ?? this.lastDelay;
    const waited = delay - this.lastDelay;
    const own = Math.max(0, late - waited);
    const s = this.stalls;
    s.ticks++;
    if (late > s.maxLateMs) {
      s.maxLateMs = late;
      s.runQueueMsAtMaxLate = Math.min(late, waited);
    }
    if (own > s.maxOwnMs) s.maxOwnMs = own;
    this.arm(delay);
  }
}
