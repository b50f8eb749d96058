/**
 * The embedded state store: the placement engine made durable with an fsynced journal. Kept out of
 * src/placement so that the engine itself does no I/O.
 */
export { DurablePlacement } from './durable-placement.js';
export type { DurableOptions } from './durable-placement.js';
export { Journal, MAX_PAYLOAD_BYTES } from './journal.js';
export type { JournalOptions, OpenedJournal } from './journal.js';
export * from './journal-errors.js';
