import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { name, optionalString, toBuffer, uint } from '../../../bindings/ceph/args.js';
import { CephInvalidArgumentError, RBD_FEATURES, featureBits, featureNames, type RbdFeature } from '../../../bindings/ceph/index.js';
import { nativeImageOptions } from '../../../bindings/ceph/rbd/options.js';

describe('ceph argument checks', () => {
  it('views Uint8Arrays without copying and encodes strings as UTF-8', () => {
    const u8 = new Uint8Array([1, 2, 3, 4]).subarray(1, 3);
    const b = toBuffer(u8, 'data');
    expect(b.buffer).toBe(u8.buffer);
    expect([...b]).toEqual([2, 3]);
    expect(toBuffer('é', 'data')).toEqual(Buffer.from([0xc3, 0xa9]));
    const buf = Buffer.from('x');
    expect(toBuffer(buf, 'data')).toBe(buf);
    expect(() => toBuffer(42 as unknown as string, 'data')).toThrow(CephInvalidArgumentError);
  });

  it('refuses empty names, NULs and non-integers with a typed error', () => {
    for (const bad of ['', 'a\0b', 3, undefined]) expect(() => name(bad, 'oid')).toThrow(CephInvalidArgumentError);
    expect(name('obj', 'oid')).toBe('obj');
    expect(optionalString(undefined, 'ns')).toBe('');
    expect(() => optionalString('a\0', 'ns')).toThrow(CephInvalidArgumentError);
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53, '1']) expect(() => uint(bad, 'offset')).toThrow(CephInvalidArgumentError);
    expect(uint(0, 'offset')).toBe(0);
  });

  it('any value is either accepted as a safe non-negative integer or refused with the typed error', () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        try {
          const n = uint(v, 'x');
          expect(Number.isSafeInteger(n) && n >= 0).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(CephInvalidArgumentError);
        }
      }),
    );
  });

  it('round-trips RBD feature names through bits', () => {
    const all = Object.keys(RBD_FEATURES) as RbdFeature[];
    fc.assert(
      fc.property(fc.subarray(all), (features) => {
        const bits = featureBits(features);
        expect(featureNames(bits)).toEqual(all.filter((f) => features.includes(f)));
        expect(featureBits(bits)).toBe(bits);
      }),
    );
    expect(() => featureBits(['nope' as RbdFeature])).toThrow(CephInvalidArgumentError);
  });

  it('turns image options into the native shape', () => {
    expect(nativeImageOptions({ features: ['layering', 'deep-flatten'], order: 22, stripeUnit: 65536, stripeCount: 4, dataPool: 'ec' })).toEqual({
      features: 33n,
      order: 22,
      stripeUnit: 65536,
      stripeCount: 4,
      dataPool: 'ec',
    });
    expect(nativeImageOptions()).toEqual({});
    expect(() => nativeImageOptions({ order: -1 })).toThrow(CephInvalidArgumentError);
  });
});
