/**
 * Serial-over-LAN (IPMI 2.0 section 15) as a Node Duplex stream: Activate Payload, then SOL
 * payloads carrying console bytes both ways with their sequence numbers, acknowledgements and
 * accepted-character counts; Deactivate Payload when the stream ends.
 */
import { Duplex } from 'node:stream';
import { Reader } from './bytes.js';
import type { IpmiClient } from './client.js';
import { cipherSuite } from './cipher-suites.js';
import { IpmiClosedError, IpmiSolError, IpmiTimeoutError } from './errors.js';
import { LanplusSession } from './lanplus-session.js';
import { NetFn } from './message.js';
import { PayloadType, type LanplusPacket } from './packet.js';
import { DEFAULT_RETRY, type RetryPolicy } from './transport.js';

export const SolCmd = { activatePayload: 0x48, deactivatePayload: 0x49 } as const;

export interface SolPacket {
  /** 1..15 for a packet with data, 0 for an acknowledgement only. */
  sequence: number;
  /** The sequence number this packet acknowledges (0: none). */
  ackSequence: number;
  acceptedCount: number;
  /** Console to BMC: operation bits; BMC to console: status bits (bit 6 NACK in both). */
  status: number;
  data: Buffer;
}

export function encodeSolPacket(p: SolPacket): Buffer {
  return Buffer.concat([Buffer.from([p.sequence & 0x0f, p.ackSequence & 0x0f, p.acceptedCount & 0xff, p.status & 0xff]), p.data]);
}

export function decodeSolPacket(buf: Buffer): SolPacket {
  const r = new Reader(buf, 'SOL payload');
  return { sequence: r.u8() & 0x0f, ackSequence: r.u8() & 0x0f, acceptedCount: r.u8(), status: r.u8(), data: Buffer.from(r.rest()) };
}

const SOL_NACK = 0x40;
const SOL_INACTIVE = 0x10;

export interface SolOptions {
  /** Payload instance (default 1). */
  instance?: number;
  /** Retransmission of console data (default 1 s, 4 retries, like ipmitool's SOL). */
  retry?: Partial<RetryPolicy>;
  /** Deactivate an instance another session left active, then activate (default false). */
  force?: boolean;
}

interface Activation {
  inboundMax: number;
  outboundMax: number;
  port: number;
}

function activationData(instance: number, session: LanplusSession): Buffer {
  // SOL data travels protected exactly as the session's other payloads.
  const suite = cipherSuite(session.info.cipherSuite);
  const enc = suite.confidentiality !== 0;
  const auth = suite.integrity !== 0;
  return Buffer.from([PayloadType.sol, instance, (enc ? 0x80 : 0) | (auth ? 0x40 : 0), 0, 0, 0]);
}

async function activate(session: LanplusSession, instance: number, force: boolean): Promise<Activation> {
  let r = await session.requestRaw(NetFn.app, SolCmd.activatePayload, activationData(instance, session));
  if (r.completionCode === 0x80 && force) {
    await session.requestRaw(NetFn.app, SolCmd.deactivatePayload, Buffer.from([PayloadType.sol, instance, 0, 0, 0, 0]));
    r = await session.requestRaw(NetFn.app, SolCmd.activatePayload, activationData(instance, session));
  }
  if (r.completionCode !== 0) {
    const why: Record<number, string> = {
      0x80: 'SOL is already active on another session',
      0x81: 'SOL is disabled',
      0x82: 'the SOL activation limit is reached',
      0x83: 'SOL cannot be activated with encryption',
      0x84: 'SOL cannot be activated without encryption',
    };
    throw new IpmiSolError(`SOL activation failed: ${why[r.completionCode] ?? `completion code 0x${r.completionCode.toString(16)}`}`, r.completionCode);
  }
  const rd = new Reader(r.data, 'Activate Payload response');
  rd.bytes(4);
  return { inboundMax: rd.u16(), outboundMax: rd.u16(), port: rd.u16() };
}

/**
 * Console bytes as a Duplex: what is written goes to the host's serial port, what the host sends
 * is read. Ending or destroying the stream deactivates SOL (the session stays open).
 */
export class SolStream extends Duplex {
  private outSeq = 0;
  private lastInSeq = -1;
  private ended = false;
  private readonly policy: RetryPolicy;

  constructor(
    readonly session: LanplusSession,
    readonly instance: number,
    private readonly activation: Activation,
    retry: Partial<RetryPolicy>,
  ) {
    super({ allowHalfOpen: false });
    this.policy = { ...DEFAULT_RETRY, ...retry };
    session.onPayload(PayloadType.sol, (p) => this.onPacket(p));
    session.transport.hold();
  }

  /** Largest console chunk per packet: the BMC's inbound payload size minus the 4-byte header. */
  get maxChunk(): number {
    return Math.max(1, Math.min(this.activation.inboundMax > 4 ? this.activation.inboundMax - 4 : 200, 255));
  }

  private onPacket(p: LanplusPacket): void {
    let pkt: SolPacket;
    try {
      pkt = decodeSolPacket(p.payload);
    } catch {
      return;
    }
    this.deliver(pkt);
  }

  /** Data from the BMC: delivered once per sequence number, acknowledged every time (retransmits too). */
  private deliver(pkt: SolPacket): void {
    if (pkt.status & SOL_INACTIVE && pkt.sequence === 0) {
      this.destroy(new IpmiSolError('the BMC deactivated SOL'));
      return;
    }
    if (pkt.sequence === 0 || pkt.data.length === 0) return;
    if (pkt.sequence !== this.lastInSeq) {
      this.lastInSeq = pkt.sequence;
      this.push(pkt.data);
    }
    void this.session
      .sendPayload(PayloadType.sol, encodeSolPacket({ sequence: 0, ackSequence: pkt.sequence, acceptedCount: pkt.data.length, status: 0, data: Buffer.alloc(0) }))
      .catch(() => {});
  }

  override _read(): void {
    // Data arrives when the BMC sends it; nothing to ask for.
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.sendAll(Buffer.from(chunk)).then(() => cb(), (e: unknown) => cb(e as Error));
  }

  private async sendAll(data: Buffer): Promise<void> {
    let rest = data;
    let nacks = 0;
    while (rest.length > 0) {
      if (this.session.isClosed) throw new IpmiClosedError('SOL session');
      const part = rest.subarray(0, this.maxChunk);
      this.outSeq = (this.outSeq % 15) + 1;
      const seq = this.outSeq;
      const ack = await this.session.exchangePayload(
        PayloadType.sol,
        () => encodeSolPacket({ sequence: seq, ackSequence: 0, acceptedCount: 0, status: 0, data: part }),
        (p) => {
          if (p.payloadType !== PayloadType.sol) return undefined;
          const pkt = decodeSolPacket(p.payload);
          // Not our acknowledgement: the session hands it to the SOL listener (onPacket).
          if (pkt.ackSequence !== seq) return undefined;
          // An acknowledgement may carry console data of its own.
          this.deliver(pkt);
          return pkt;
        },
        'SOL data acknowledgement',
        this.policy,
      );
      if (ack.status & SOL_NACK) {
        if (++nacks > this.policy.retries) throw new IpmiSolError('the BMC keeps refusing SOL data (NACK)');
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      nacks = 0;
      const accepted = ack.acceptedCount === 0 ? part.length : Math.min(ack.acceptedCount, part.length);
      rest = rest.subarray(accepted);
    }
  }

  private async deactivate(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.session.onPayload(PayloadType.sol, undefined);
    this.session.transport.release();
    if (this.session.isClosed) return;
    try {
      await this.session.requestRaw(NetFn.app, SolCmd.deactivatePayload, Buffer.from([PayloadType.sol, this.instance, 0, 0, 0, 0]));
    } catch (e) {
      if (!(e instanceof IpmiTimeoutError) && !(e instanceof IpmiClosedError)) throw e;
    }
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.deactivate().then(() => {
      this.push(null);
      cb();
    }, (e: unknown) => cb(e as Error));
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.deactivate().then(() => cb(err), () => cb(err));
  }
}

/** Activates SOL on an RMCP+ session (IPMI 1.5 has no SOL payload) and returns its stream. */
export async function openSol(target: IpmiClient | LanplusSession, opts: SolOptions = {}): Promise<SolStream> {
  const session = target instanceof LanplusSession ? target : target.session;
  if (!(session instanceof LanplusSession)) throw new IpmiSolError('SOL needs an IPMI 2.0 (RMCP+) session');
  const instance = opts.instance ?? 1;
  const act = await activate(session, instance, opts.force ?? false);
  if (act.port !== 0 && act.port !== session.info.port) {
    await session.requestRaw(NetFn.app, SolCmd.deactivatePayload, Buffer.from([PayloadType.sol, instance, 0, 0, 0, 0])).catch(() => {});
    throw new IpmiSolError(`the BMC moves SOL to UDP port ${act.port}; only the session's own port is supported`);
  }
  return new SolStream(session, instance, act, opts.retry ?? {});
}
