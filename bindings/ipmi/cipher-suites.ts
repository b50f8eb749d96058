/**
 * RMCP+ cipher suites (IPMI 2.0 table 22-20): which authentication, integrity and confidentiality
 * algorithm each suite id means, and the client's ordered preference.
 */
import { IpmiArgumentError } from './errors.js';

/** Authentication (RAKP) algorithm numbers. */
export const AuthAlg = { none: 0x00, hmacSha1: 0x01, hmacMd5: 0x02, hmacSha256: 0x03 } as const;
/** Integrity algorithm numbers. */
export const IntegrityAlg = { none: 0x00, hmacSha1_96: 0x01, hmacMd5_128: 0x02, md5_128: 0x03, hmacSha256_128: 0x04 } as const;
/** Confidentiality algorithm numbers. */
export const ConfAlg = { none: 0x00, aesCbc128: 0x01 } as const;

export type AuthAlgorithm = (typeof AuthAlg)[keyof typeof AuthAlg];
export type IntegrityAlgorithm = (typeof IntegrityAlg)[keyof typeof IntegrityAlg];
export type ConfAlgorithm = (typeof ConfAlg)[keyof typeof ConfAlg];

export interface CipherSuite {
  id: number;
  auth: AuthAlgorithm;
  integrity: IntegrityAlgorithm;
  confidentiality: ConfAlgorithm;
}

/** Suites this client implements (the xRC4 suites 4, 5, 9, 10, 13, 14 are not). */
export const CIPHER_SUITES: ReadonlyMap<number, CipherSuite> = new Map(
  (
    [
      [0, AuthAlg.none, IntegrityAlg.none, ConfAlg.none],
      [1, AuthAlg.hmacSha1, IntegrityAlg.none, ConfAlg.none],
      [2, AuthAlg.hmacSha1, IntegrityAlg.hmacSha1_96, ConfAlg.none],
      [3, AuthAlg.hmacSha1, IntegrityAlg.hmacSha1_96, ConfAlg.aesCbc128],
      [6, AuthAlg.hmacMd5, IntegrityAlg.none, ConfAlg.none],
      [7, AuthAlg.hmacMd5, IntegrityAlg.hmacMd5_128, ConfAlg.none],
      [8, AuthAlg.hmacMd5, IntegrityAlg.hmacMd5_128, ConfAlg.aesCbc128],
      [11, AuthAlg.hmacMd5, IntegrityAlg.md5_128, ConfAlg.none],
      [12, AuthAlg.hmacMd5, IntegrityAlg.md5_128, ConfAlg.aesCbc128],
      [15, AuthAlg.hmacSha256, IntegrityAlg.none, ConfAlg.none],
      [16, AuthAlg.hmacSha256, IntegrityAlg.hmacSha256_128, ConfAlg.none],
      [17, AuthAlg.hmacSha256, IntegrityAlg.hmacSha256_128, ConfAlg.aesCbc128],
    ] as const
  ).map(([id, auth, integrity, confidentiality]) => [id, { id, auth, integrity, confidentiality }]),
);

/**
 * Default preference: the strongest first (17: SHA-256 + AES), then 3 (SHA-1 + AES, what most BMCs
 * and `ipmitool -C 3` use), then integrity-only suites. Suite 0 is never in a default list.
 */
export const DEFAULT_CIPHER_SUITES: readonly number[] = [17, 3, 8, 16, 2, 7];

export function cipherSuite(id: number): CipherSuite {
  const s = CIPHER_SUITES.get(id);
  if (s === undefined) throw new IpmiArgumentError(`cipher suite ${id} is not supported (supported: ${[...CIPHER_SUITES.keys()].join(', ')})`);
  return s;
}

/** Bytes of the RAKP-2 key exchange code, the SIK and K1/K2 for an authentication algorithm. */
export function authDigestLength(auth: AuthAlgorithm): number {
  return auth === AuthAlg.hmacSha256 ? 32 : auth === AuthAlg.hmacMd5 ? 16 : auth === AuthAlg.hmacSha1 ? 20 : 0;
}

/** Bytes of the RAKP-4 integrity check value. */
export function rakp4IcvLength(auth: AuthAlgorithm): number {
  return auth === AuthAlg.hmacSha256 ? 16 : auth === AuthAlg.hmacMd5 ? 16 : auth === AuthAlg.hmacSha1 ? 12 : 0;
}

/** Bytes of the AuthCode at the end of each authenticated packet. */
export function integrityLength(integrity: IntegrityAlgorithm): number {
  switch (integrity) {
    case IntegrityAlg.hmacSha1_96:
      return 12;
    case IntegrityAlg.hmacMd5_128:
    case IntegrityAlg.md5_128:
    case IntegrityAlg.hmacSha256_128:
      return 16;
    default:
      return 0;
  }
}
