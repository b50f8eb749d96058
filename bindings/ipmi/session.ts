/**
 * What every IPMI session (RMCP+ or IPMI 1.5) offers the command layer, and the options both
 * take. Commands are written against `CommandChannel` only.
 */
import type { Logger } from '../../common/logger.js';
import { IpmiCompletionError } from './errors.js';
import type { PrivilegeLevel } from './rakp.js';
import type { RetryPolicy } from './transport.js';

export interface RawResponse {
  completionCode: number;
  data: Buffer;
}

/** Sends one IPMI request to the BMC and returns its answer. */
export interface CommandChannel {
  /** The response data after a 0x00 completion code; any other code is an IpmiCompletionError. */
  request(netFn: number, command: number, data?: Uint8Array, what?: string): Promise<Buffer>;
  /** The completion code and data, whatever the code; `retry` overrides the session's policy. */
  requestRaw(netFn: number, command: number, data?: Uint8Array, retry?: Partial<RetryPolicy>): Promise<RawResponse>;
}

export interface SessionOptions {
  host: string;
  /** UDP port (default 623). */
  port?: number;
  username: string;
  /** Never logged, never put in an error. */
  password: string | Buffer;
  /** BMC key Kg for two-key logins (RMCP+ only); by default Kuid (the password) is used. */
  kg?: Buffer;
  /** Session privilege (default administrator). */
  privilege?: PrivilegeLevel;
  /** RMCP+ cipher suites in order of preference (default DEFAULT_CIPHER_SUITES: 17, 3, 8, 16, 2, 7). */
  cipherSuites?: readonly number[];
  /** Allow cipher suite 0 (no authentication, any password works). Default false. */
  allowNoAuth?: boolean;
  /** 'auto' (default): RMCP+ when the BMC announces IPMI 2.0, else IPMI 1.5. */
  version?: 'auto' | '2.0' | '1.5';
  /** IPMI 1.5 authentication: MD5 (default) or straight password (only if the BMC offers nothing else). */
  ipmi15Auth?: 'md5' | 'straight';
  /** Retransmission (default ipmitool's: 1 s, 4 retries, growing by 1 s each retry). */
  retry?: Partial<RetryPolicy>;
  /**
   * Idle time after which a Get Device ID keeps the session alive (default 25 s: BMCs drop idle
   * sessions after 30-60 s). 0 disables.
   */
  keepaliveMs?: number;
  logger?: Logger;
}

/** Turns a raw answer into data, or a typed completion error. */
export function checkCompletion(netFn: number, command: number, r: RawResponse, what?: string): Buffer {
  if (r.completionCode !== 0) throw new IpmiCompletionError(netFn, command, r.completionCode, what);
  return r.data;
}

export function passwordBytes(p: string | Buffer): Buffer {
  return typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
}

/**
 * Sessions still open when the process is about to exit on its own (event loop empty): closed
 * then, so that the BMC frees the slot at once instead of after its idle timeout. (process.exit()
 * and signals give no chance to send a datagram; the BMC then times the session out.)
 */
const openSessions = new Set<{ close(): Promise<void> }>();
let hooked = false;

export function trackSession(s: { close(): Promise<void> }): void {
  openSessions.add(s);
  if (!hooked) {
    hooked = true;
    process.on('beforeExit', () => {
      if (openSessions.size === 0) return;
      const all = [...openSessions];
      openSessions.clear();
      void Promise.allSettled(all.map((x) => x.close()));
    });
  }
}

export function untrackSession(s: { close(): Promise<void> }): void {
  openSessions.delete(s);
}
