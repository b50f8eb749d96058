import { optionalString, uint } from '../args.js';
import type { NativeImageOptions } from '../native.js';
import { featureBits, type RbdFeature } from './features.js';

export interface ImageOptions {
  /** Feature names or bits (default: the cluster's rbd_default_features). */
  features?: readonly RbdFeature[] | bigint;
  /** Object size as a power of two (22 = 4 MiB). */
  order?: number;
  stripeUnit?: number;
  stripeCount?: number;
  /** Separate pool for the data objects. */
  dataPool?: string;
}

export function nativeImageOptions(o: ImageOptions = {}): NativeImageOptions {
  const out: NativeImageOptions = {};
  if (o.features !== undefined) out.features = featureBits(o.features);
  if (o.order !== undefined) out.order = uint(o.order, 'order');
  if (o.stripeUnit !== undefined) out.stripeUnit = uint(o.stripeUnit, 'stripeUnit');
  if (o.stripeCount !== undefined) out.stripeCount = uint(o.stripeCount, 'stripeCount');
  if (o.dataPool !== undefined) out.dataPool = optionalString(o.dataPool, 'dataPool');
  return out;
}
