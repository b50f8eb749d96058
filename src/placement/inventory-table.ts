import { growFloat64, growInt32, growUint8 } from './columns.js';
import type { Inventory } from './types.js';

/** One resource class's inventory over all provider slots, with its running usage. */
export class InventoryColumn {
  has = new Uint8Array(0);
  total = new Int32Array(0);
  reserved = new Int32Array(0);
  minUnit = new Int32Array(0);
  maxUnit = new Int32Array(0);
  stepSize = new Int32Array(0);
  ratio = new Float64Array(0);
  used = new Float64Array(0);
  /** Providers holding this class. */
  count = 0;

  ensure(slots: number): void {
    if (this.has.length >= slots) return;
    this.has = growUint8(this.has, slots);
    this.total = growInt32(this.total, slots);
    this.reserved = growInt32(this.reserved, slots);
    this.minUnit = growInt32(this.minUnit, slots);
    this.maxUnit = growInt32(this.maxUnit, slots);
    this.stepSize = growInt32(this.stepSize, slots);
    this.ratio = growFloat64(this.ratio, slots);
    this.used = growFloat64(this.used, slots);
  }

  /**
   * Placement's capacity: (total − reserved) × allocation_ratio, unrounded for the fit check
   * (Placement compares the product directly with used + amount).
   */
  capacity(slot: number): number {
    return ((this.total[slot] as number) - (this.reserved[slot] as number)) * (this.ratio[slot] as number);
  }

  /** Whether `amount` more fits on `slot`, unit constraints included. */
  fits(slot: number, amount: number): boolean {
    return (
      this.has[slot] === 1 &&
      amount >= (this.minUnit[slot] as number) &&
      amount <= (this.maxUnit[slot] as number) &&
      amount % (this.stepSize[slot] as number) === 0 &&
      (this.used[slot] as number) + amount <= this.capacity(slot)
    );
  }

  get(slot: number): Inventory {
    return {
      total: this.total[slot] as number,
      reserved: this.reserved[slot] as number,
      minUnit: this.minUnit[slot] as number,
      maxUnit: this.maxUnit[slot] as number,
      stepSize: this.stepSize[slot] as number,
      allocationRatio: this.ratio[slot] as number,
    };
  }

  set(slot: number, inv: Inventory): void {
    this.ensure(slot + 1);
    if (this.has[slot] !== 1) {
      this.has[slot] = 1;
      this.count++;
    }
    this.total[slot] = inv.total;
    this.reserved[slot] = inv.reserved;
    this.minUnit[slot] = inv.minUnit;
    this.maxUnit[slot] = inv.maxUnit;
    this.stepSize[slot] = inv.stepSize;
    this.ratio[slot] = inv.allocationRatio;
  }

  remove(slot: number): void {
    if (this.has[slot] === 1) {
      this.has[slot] = 0;
      this.count--;
    }
  }
}

/** Inventory columns by resource class id, created when a class is first stocked. */
export class InventoryTable {
  columns: (InventoryColumn | undefined)[] = [];

  column(rc: number): InventoryColumn | undefined {
    return this.columns[rc];
  }

  ensureColumn(rc: number): InventoryColumn {
    let col = this.columns[rc];
    if (col === undefined) {
      while (this.columns.length <= rc) this.columns.push(undefined);
      col = new InventoryColumn();
      this.columns[rc] = col;
    }
    return col;
  }

  has(slot: number, rc: number): boolean {
    const col = this.columns[rc];
    return col !== undefined && col.has[slot] === 1;
  }

  /** Resource classes stocked on a provider, ascending id. */
  classesOf(slot: number): number[] {
    const out: number[] = [];
    for (let rc = 0; rc < this.columns.length; rc++) if (this.columns[rc]?.has[slot] === 1) out.push(rc);
    return out;
  }

  /** True when any provider stocks the class. */
  classInUse(rc: number): boolean {
    return (this.columns[rc]?.count ?? 0) > 0;
  }
}
