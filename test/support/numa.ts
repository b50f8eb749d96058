import type { HostNumaTopology } from '../../src/scheduler/numa/types.js';

/**
 * A host whose NUMA cells hold only dedicated CPUs (no shared CPUs, no sibling threads), unused:
 * cell i has pCPUs i×pcpusPerCell … (i+1)×pcpusPerCell − 1. A fresh object per call, since the
 * scheduler's topology table keeps what it is given.
 */
export function dedicatedCellsHost(cellCount: number, pcpusPerCell: number, memoryMbPerCell: number): HostNumaTopology {
  return {
    cells: Array.from({ length: cellCount }, (_, id) => ({
      id,
      cpus: [],
      pcpus: Array.from({ length: pcpusPerCell }, (_, k) => id * pcpusPerCell + k),
      siblings: [],
      memoryMb: memoryMbPerCell,
      hugepages: [],
      cpuAllocationRatio: 1,
      ramAllocationRatio: 1,
      usage: { cpusUsed: 0, pinnedPcpus: [], memoryUsedMb: 0 },
    })),
  };
}
