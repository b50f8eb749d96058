/**
 * Consumers and their allocations. A consumer's allocations are a flat list of
 * (provider slot, resource class id, amount) triples; each provider keeps the set of consumers
 * holding something on it, so provider-side reads and the delete check do not scan every consumer.
 */
export interface ConsumerRecord {
  readonly uuid: string;
  projectId: string;
  userId: string;
  consumerType: string;
  generation: number;
  /** [slot, rc, amount, slot, rc, amount, …] */
  entries: number[];
  createdAt: number;
  updatedAt: number;
}

export class ConsumerTable {
  readonly byUuid = new Map<string, ConsumerRecord>();
  /** Provider slot → consumers with allocations there. */
  byProvider: (Set<ConsumerRecord> | undefined)[] = [];

  get(uuid: string): ConsumerRecord | undefined {
    return this.byUuid.get(uuid);
  }

  consumersOn(slot: number): ReadonlySet<ConsumerRecord> | undefined {
    return this.byProvider[slot];
  }

  hasAllocationsOn(slot: number): boolean {
    const set = this.byProvider[slot];
    return set !== undefined && set.size > 0;
  }

  /** Links the consumer's entries to their providers (after the entries were set). */
  link(c: ConsumerRecord): void {
    for (let i = 0; i < c.entries.length; i += 3) {
      const slot = c.entries[i] as number;
      let set = this.byProvider[slot];
      if (set === undefined) {
        while (this.byProvider.length <= slot) this.byProvider.push(undefined);
        set = new Set();
        this.byProvider[slot] = set;
      }
      set.add(c);
    }
  }

  unlink(c: ConsumerRecord): void {
    for (let i = 0; i < c.entries.length; i += 3) this.byProvider[c.entries[i] as number]?.delete(c);
  }

  /** Forgets everything about a provider slot that was deleted (it had no allocations). */
  clearProvider(slot: number): void {
    if (slot < this.byProvider.length) this.byProvider[slot] = undefined;
  }
}
