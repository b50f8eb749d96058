/**
 * Errors of the IPMI binding. Every one carries a stable `code`; structured fields say what went
 * wrong (the RAKP step, the completion code, the attempts made). No message or field ever holds a
 * password, a Kg key, a session key or an AuthCode.
 */
import { TstackError } from '../../common/errors.js';

export class IpmiError extends TstackError {}

/** A datagram or payload that does not parse: too short, wrong field, bad checksum. */
export class IpmiDecodeError extends IpmiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_IPMI_DECODE', message, options);
  }
}

/** An authenticated packet whose AuthCode does not match: tampered, corrupted or not for this session. */
export class IpmiIntegrityError extends IpmiError {
  constructor(message: string) {
    super('ERR_IPMI_INTEGRITY', message);
  }
}

/** Bad input from the caller: out-of-range values, too-long user names and so on. */
export class IpmiArgumentError extends IpmiError {
  constructor(message: string) {
    super('ERR_IPMI_ARGUMENT', message);
  }
}

/** No answer after every retry. */
export class IpmiTimeoutError extends IpmiError {
  readonly host: string;
  readonly port: number;
  readonly attempts: number;
  /** What was being waited for: 'presence ping', 'open session', 'Get Device ID'... */
  readonly waitingFor: string;

  constructor(host: string, port: number, attempts: number, waitingFor: string) {
    super('ERR_IPMI_TIMEOUT', `no answer from BMC ${host}:${port} to ${waitingFor} after ${attempts} attempt(s)`);
    this.host = host;
    this.port = port;
    this.attempts = attempts;
    this.waitingFor = waitingFor;
  }
}

/** Where session establishment failed. */
export type AuthStep =
  | 'get-channel-auth-capabilities'
  | 'open-session'
  | 'rakp-2'
  | 'rakp-4'
  | 'get-session-challenge'
  | 'activate-session'
  | 'set-session-privilege';

/**
 * The BMC refused the credentials or the session, or its proof did not check out. `step` names the
 * RAKP (or IPMI 1.5) step; `status` is the RMCP+ status code or IPMI completion code when the BMC
 * sent one.
 */
export class IpmiAuthError extends IpmiError {
  readonly step: AuthStep;
  readonly status: number | undefined;

  constructor(step: AuthStep, reason: string, status?: number) {
    super('ERR_IPMI_AUTH', `IPMI session refused at ${step}: ${reason}${status === undefined ? '' : ` (status 0x${hex(status)})`}`);
    this.step = step;
    this.status = status;
  }
}

/** The BMC has no free session slot (RMCP+ status 0x01 / completion code 0x81 on Activate Session). */
export class IpmiNoSessionSlotError extends IpmiError {
  readonly step: AuthStep;
  constructor(step: AuthStep) {
    super('ERR_IPMI_NO_SESSION_SLOT', `the BMC has no free session slot (at ${step})`);
    this.step = step;
  }
}

/** No cipher suite both sides accept, or suite 0 (no authentication) offered and not allowed. */
export class IpmiCipherSuiteError extends IpmiError {
  readonly tried: readonly number[];
  constructor(message: string, tried: readonly number[]) {
    super('ERR_IPMI_CIPHER_SUITE', message);
    this.tried = tried;
  }
}

/** A command answered with a completion code other than 0x00. */
export class IpmiCompletionError extends IpmiError {
  readonly completionCode: number;
  readonly netFn: number;
  readonly command: number;

  constructor(netFn: number, command: number, completionCode: number, what?: string) {
    super(
      'ERR_IPMI_COMPLETION',
      `${what ?? `command netFn 0x${hex(netFn)} cmd 0x${hex(command)}`} failed: ${completionCodeText(completionCode)} (0x${hex(completionCode)})`,
    );
    this.completionCode = completionCode;
    this.netFn = netFn;
    this.command = command;
  }
}

/** The session was closed (by us, or lost) and cannot carry more requests. */
export class IpmiClosedError extends IpmiError {
  constructor(what = 'IPMI session') {
    super('ERR_IPMI_CLOSED', `${what} is closed`);
  }
}

/** Serial-over-LAN could not be activated or broke. */
export class IpmiSolError extends IpmiError {
  readonly completionCode: number | undefined;
  constructor(message: string, completionCode?: number) {
    super('ERR_IPMI_SOL', message);
    this.completionCode = completionCode;
  }
}

export function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** Generic completion codes (IPMI 2.0 table 5-2). */
const COMPLETION: Record<number, string> = {
  0x00: 'ok',
  0xc0: 'node busy',
  0xc1: 'invalid command',
  0xc2: 'command invalid for given LUN',
  0xc3: 'timeout while processing command',
  0xc4: 'out of space',
  0xc5: 'reservation canceled or invalid reservation ID',
  0xc6: 'request data truncated',
  0xc7: 'request data length invalid',
  0xc8: 'request data field length limit exceeded',
  0xc9: 'parameter out of range',
  0xca: 'cannot return number of requested data bytes',
  0xcb: 'requested sensor, data, or record not present',
  0xcc: 'invalid data field in request',
  0xcd: 'command illegal for specified sensor or record type',
  0xce: 'command response could not be provided',
  0xcf: 'cannot execute duplicated request',
  0xd0: 'SDR repository in update mode',
  0xd1: 'device in firmware update mode',
  0xd2: 'BMC initialization in progress',
  0xd3: 'destination unavailable',
  0xd4: 'insufficient privilege level',
  0xd5: 'command not supported in present state',
  0xd6: 'command sub-function disabled or unavailable',
  0xff: 'unspecified error',
};

export function completionCodeText(code: number): string {
  return COMPLETION[code] ?? (code >= 0x80 && code <= 0xbe ? 'command-specific error' : 'unknown completion code');
}
