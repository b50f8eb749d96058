import { CephInvalidArgumentError } from '../errors.js';

/** RBD image feature bits (librbd features.h). */
export const RBD_FEATURES = {
  layering: 1n << 0n,
  striping: 1n << 1n,
  'exclusive-lock': 1n << 2n,
  'object-map': 1n << 3n,
  'fast-diff': 1n << 4n,
  'deep-flatten': 1n << 5n,
  journaling: 1n << 6n,
  'data-pool': 1n << 7n,
  operations: 1n << 8n,
  migrating: 1n << 9n,
  'non-primary': 1n << 10n,
  'dirty-cache': 1n << 11n,
} as const;

export type RbdFeature = keyof typeof RBD_FEATURES;

export function featureBits(features: readonly RbdFeature[] | bigint): bigint {
  if (typeof features === 'bigint') return features;
  let bits = 0n;
  for (const f of features) {
    const bit = RBD_FEATURES[f];
    if (bit === undefined) throw new CephInvalidArgumentError(`unknown RBD feature: ${String(f)}`);
    bits |= bit;
  }
  return bits;
}

export function featureNames(bits: bigint): RbdFeature[] {
  return (Object.keys(RBD_FEATURES) as RbdFeature[]).filter((f) => (bits & RBD_FEATURES[f]) !== 0n);
}
