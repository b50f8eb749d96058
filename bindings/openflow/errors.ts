import { TstackError } from '../../common/errors.js';

/** Root of every error the OpenFlow binding throws; `code` is stable, the message is for people. */
export class OpenFlowError extends TstackError {}

/**
 * Bytes that are not a well-formed OpenFlow 1.3 message (short, bad length, unknown type).
 * `offset` is where in the message the decoder stopped, for diagnosing captures.
 */
export class OpenFlowDecodeError extends OpenFlowError {
  readonly offset: number;
  constructor(message: string, offset: number, options?: { cause?: unknown }) {
    super('ERR_OPENFLOW_DECODE', `${message} (at byte ${offset})`, options);
    this.offset = offset;
  }
}

/** A message that cannot be put on the wire (value out of range, too long, mask on a field that has none). */
export class OpenFlowEncodeError extends OpenFlowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_OPENFLOW_ENCODE', message, options);
  }
}

/** The peer speaks no OpenFlow version we do (we speak 1.3, wire version 0x04). */
export class OpenFlowVersionError extends OpenFlowError {
  readonly peerVersions: readonly number[];
  constructor(peerVersions: readonly number[]) {
    super('ERR_OPENFLOW_VERSION', `peer offers OpenFlow wire versions [${peerVersions.join(', ')}], not 0x04 (1.3)`);
    this.peerVersions = peerVersions;
  }
}

/** No reply within the request timeout. */
export class OpenFlowTimeoutError extends OpenFlowError {
  readonly xid: number;
  constructor(what: string, xid: number, ms: number) {
    super('ERR_OPENFLOW_TIMEOUT', `${what} (xid ${xid}) got no reply within ${ms} ms`);
    this.xid = xid;
  }
}

/**
 * The connection went away (or was closed by us) before a reply arrived, or a call was made after
 * close(). Whether a request without a reply took effect on the switch is then unknown.
 */
export class OpenFlowClosedError extends OpenFlowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_OPENFLOW_CLOSED', message, options);
  }
}

/** TCP connect or listen failed. */
export class OpenFlowConnectError extends OpenFlowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_OPENFLOW_CONNECT', message, options);
  }
}

/** The peer broke the protocol (undecodable frame, unexpected reply); the connection is dropped. */
export class OpenFlowProtocolError extends OpenFlowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_OPENFLOW_PROTOCOL', message, options);
  }
}

/**
 * The switch answered a request with an OFPT_ERROR. `type`/`code` are the numbers on the wire,
 * `typeName`/`codeName` the spec's names (OFPET_BAD_MATCH / OFPBMC_BAD_PREREQ), `xid` the request
 * the switch refused, `data` the start of the offending request as the switch echoed it.
 */
export class OpenFlowSwitchError extends OpenFlowError {
  readonly xid: number;
  readonly type: number;
  readonly errorCode: number;
  readonly typeName: string;
  readonly codeName: string;
  readonly data: Uint8Array;
  /** Further errors for the same batch (installFlows), in arrival order; empty for a single request. */
  readonly others: readonly OpenFlowSwitchError[];
  constructor(
    e: { xid: number; errorType: number; code: number; typeName: string; codeName: string; data: Uint8Array },
    others: readonly OpenFlowSwitchError[] = [],
  ) {
    super('ERR_OPENFLOW_SWITCH_ERROR', `switch refused xid ${e.xid}: ${e.typeName}/${e.codeName}${others.length > 0 ? ` (+${others.length} more)` : ''}`);
    this.xid = e.xid;
    this.type = e.errorType;
    this.errorCode = e.code;
    this.typeName = e.typeName;
    this.codeName = e.codeName;
    this.data = e.data;
    this.others = others;
  }
}
