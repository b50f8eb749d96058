/**
 * RMCP+ cryptography (IPMI 2.0 sections 13.28-13.32): RAKP key-exchange codes, the session
 * integrity key (SIK), K1/K2, packet integrity AuthCodes and AES-CBC-128 payload encryption.
 * Everything here is pure and synchronous; keys stay in Buffers that never reach a message.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthAlg, ConfAlg, IntegrityAlg, type AuthAlgorithm, type ConfAlgorithm, type IntegrityAlgorithm } from './cipher-suites.js';
import { IpmiDecodeError } from './errors.js';

function hashName(auth: AuthAlgorithm): 'sha1' | 'sha256' | 'md5' {
  return auth === AuthAlg.hmacSha256 ? 'sha256' : auth === AuthAlg.hmacMd5 ? 'md5' : 'sha1';
}

/** HMAC with the suite's hash; the empty buffer for the "none" algorithm. */
export function authHmac(auth: AuthAlgorithm, key: Buffer, ...parts: Buffer[]): Buffer {
  if (auth === AuthAlg.none) return Buffer.alloc(0);
  const h = createHmac(hashName(auth), key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * K1 = HMAC(SIK, 0x01 × L), K2 = HMAC(SIK, 0x02 × L). L is 20 for HMAC-SHA1 and HMAC-SHA256 (what
 * ipmitool, FreeIPMI and pyghmi use); for HMAC-MD5, ipmi_sim uses 16 (the digest length) and
 * ipmitool/FreeIPMI 20, so the session tries 16 first and can switch (see lanplus-session.ts).
 */
export function deriveK(auth: AuthAlgorithm, sik: Buffer, n: 1 | 2, constantLength: number = auth === AuthAlg.hmacMd5 ? 16 : 20): Buffer {
  return authHmac(auth, sik, Buffer.alloc(constantLength, n));
}

/**
 * Everything needed to protect one session's packets: integrity key (K1, or the password for the
 * MD5 algorithms, which use Kuid) and confidentiality key (first 16 bytes of K2).
 */
export interface SessionKeys {
  integrity: IntegrityAlgorithm;
  confidentiality: ConfAlgorithm;
  integrityKey: Buffer;
  confidentialityKey: Buffer;
}

/** The AuthCode of the integrity-protected range (AuthType byte through Next Header). */
export function integrityCode(keys: SessionKeys, range: Buffer): Buffer {
  switch (keys.integrity) {
    case IntegrityAlg.hmacSha1_96:
      return createHmac('sha1', keys.integrityKey).update(range).digest().subarray(0, 12);
    case IntegrityAlg.hmacSha256_128:
      return createHmac('sha256', keys.integrityKey).update(range).digest().subarray(0, 16);
    case IntegrityAlg.hmacMd5_128:
      return createHmac('md5', keys.integrityKey).update(range).digest();
    case IntegrityAlg.md5_128:
      return createHash('md5').update(keys.integrityKey).update(range).update(keys.integrityKey).digest();
    default:
      return Buffer.alloc(0);
  }
}

/** Constant-time comparison of two codes (different lengths compare unequal). */
export function codesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * AES-CBC-128 payload (section 13.29): 16-byte IV, then the data followed by pad bytes 1, 2, 3...
 * and the pad length, encrypted with no further padding so that the whole is a multiple of 16.
 */
export function encryptPayload(conf: ConfAlgorithm, key: Buffer, plain: Buffer, iv: Buffer = randomBytes(16)): Buffer {
  if (conf === ConfAlg.none) return plain;
  const padLen = (16 - ((plain.length + 1) % 16)) % 16;
  const block = Buffer.alloc(plain.length + padLen + 1);
  plain.copy(block, 0);
  for (let i = 0; i < padLen; i++) block[plain.length + i] = i + 1;
  block[block.length - 1] = padLen;
  const c = createCipheriv('aes-128-cbc', key.subarray(0, 16), iv);
  c.setAutoPadding(false);
  return Buffer.concat([iv, c.update(block), c.final()]);
}

export function decryptPayload(conf: ConfAlgorithm, key: Buffer, data: Buffer): Buffer {
  if (conf === ConfAlg.none) return data;
  if (data.length < 32 || data.length % 16 !== 0) throw new IpmiDecodeError(`encrypted payload: ${data.length} byte(s) is not IV + whole AES blocks`);
  const d = createDecipheriv('aes-128-cbc', key.subarray(0, 16), data.subarray(0, 16));
  d.setAutoPadding(false);
  const block = Buffer.concat([d.update(data.subarray(16)), d.final()]);
  const padLen = block[block.length - 1] as number;
  if (padLen > 15 || padLen + 1 > block.length) throw new IpmiDecodeError('encrypted payload: bad confidentiality pad length');
  for (let i = 0; i < padLen; i++) {
    if (block[block.length - 1 - padLen + i] !== i + 1) throw new IpmiDecodeError('encrypted payload: bad confidentiality pad');
  }
  return block.subarray(0, block.length - 1 - padLen);
}
