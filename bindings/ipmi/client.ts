/**
 * The public face for one BMC: opens the right kind of session (RMCP+ when the BMC has IPMI 2.0,
 * IPMI 1.5 otherwise, or what the caller insists on) and offers the commands as methods.
 */
import { silentLogger } from '../../common/logger.js';
import { getChannelAuthCapabilities, type ChannelAuthCapabilities } from './channel-auth.js';
import { chassisControl, chassisIdentify, getChassisStatus, type ChassisStatus, type PowerAction } from './commands/chassis.js';
import { getBootFlags, setBootDevice, setBootFlagValidBitClearing, type BootFlags, type DecodedBootFlags, type ValidBitClearing } from './commands/boot.js';
import { getDeviceId, getSelfTestResults, resetBmc, type DeviceId, type SelfTestResult } from './commands/device.js';
import { getLanConfig, type LanConfig } from './commands/lan.js';
import { readSdrRepository, type SdrRecord } from './commands/sdr.js';
import { addSelEntry, clearSel, getSelInfo, listSel, type NewSystemEvent, type SelEntry, type SelInfo } from './commands/sel.js';
import { readSensors, type Sensor } from './commands/sensor.js';
import { listUsers, type UserEntry } from './commands/user.js';
import { getSessionInfo, type SessionInfo } from './commands/session-info.js';
import { Ipmi15Session } from './ipmi15-session.js';
import { LanplusSession, checkSuites, retryPolicy } from './lanplus-session.js';
import { Privilege } from './rakp.js';
import type { CommandChannel, RawResponse, SessionOptions } from './session.js';
import { UdpTransport, type RetryPolicy } from './transport.js';
import { randomBytes } from 'node:crypto';

export type IpmiSession = LanplusSession | Ipmi15Session;

/** Opens a session per `opts.version` ('auto' by default). */
export async function openSession(opts: SessionOptions): Promise<IpmiSession> {
  const version = opts.version ?? 'auto';
  if (version !== '1.5') checkSuites(opts);
  const t = new UdpTransport(opts.host, opts.port ?? 623);
  let capabilities: ChannelAuthCapabilities;
  try {
    capabilities = await getChannelAuthCapabilities(t, retryPolicy(opts), opts.privilege ?? Privilege.administrator, (randomBytes(1)[0] as number) & 0x3f);
  } catch (e) {
    t.close();
    throw e;
  }
  const existing = { transport: t, capabilities };
  try {
    if (version === '1.5' || (version === 'auto' && !capabilities.ipmi20)) return await Ipmi15Session.open(opts, existing);
    return await LanplusSession.open(opts, existing);
  } catch (e) {
    t.close();
    throw e;
  }
}

export class IpmiClient implements CommandChannel {
  private sdrCache: SdrRecord[] | undefined;

  constructor(readonly session: IpmiSession) {}

  static async connect(opts: SessionOptions): Promise<IpmiClient> {
    return new IpmiClient(await openSession({ ...opts, logger: opts.logger ?? silentLogger }));
  }

  get isClosed(): boolean {
    return this.session.isClosed;
  }

  request(netFn: number, command: number, data?: Uint8Array, what?: string): Promise<Buffer> {
    return this.session.request(netFn, command, data, what);
  }

  requestRaw(netFn: number, command: number, data?: Uint8Array, retry?: Partial<RetryPolicy>): Promise<RawResponse> {
    return this.session.requestRaw(netFn, command, data, retry);
  }

  deviceId(): Promise<DeviceId> {
    return getDeviceId(this);
  }

  selfTest(): Promise<SelfTestResult> {
    return getSelfTestResults(this);
  }

  resetBmc(kind: 'cold' | 'warm'): Promise<void> {
    return resetBmc(this, kind);
  }

  chassisStatus(): Promise<ChassisStatus> {
    return getChassisStatus(this);
  }

  async powerStatus(): Promise<'on' | 'off'> {
    return (await getChassisStatus(this)).powerOn ? 'on' : 'off';
  }

  power(action: PowerAction): Promise<void> {
    return chassisControl(this, action);
  }

  identify(seconds: number | 'force' | 'off' = 15): Promise<void> {
    return chassisIdentify(this, seconds);
  }

  setBootDevice(flags: BootFlags): Promise<void> {
    return setBootDevice(this, flags);
  }

  bootFlags(): Promise<DecodedBootFlags & { parameterValid: boolean }> {
    return getBootFlags(this);
  }

  setBootFlagValidBitClearing(v: ValidBitClearing): Promise<void> {
    return setBootFlagValidBitClearing(this, v);
  }

  /** The SDR repository (cached after the first read; `refresh` reads it again). */
  async sdrs(refresh = false): Promise<SdrRecord[]> {
    if (this.sdrCache === undefined || refresh) this.sdrCache = await readSdrRepository(this);
    return this.sdrCache;
  }

  async sensors(): Promise<Sensor[]> {
    return readSensors(this, await this.sdrs());
  }

  selInfo(): Promise<SelInfo> {
    return getSelInfo(this);
  }

  selList(): Promise<SelEntry[]> {
    return listSel(this);
  }

  selAdd(e: NewSystemEvent): Promise<number> {
    return addSelEntry(this, e);
  }

  selClear(): Promise<void> {
    return clearSel(this);
  }

  users(channel = 1): Promise<UserEntry[]> {
    return listUsers(this, channel);
  }

  /** This session's slot and how many sessions the BMC has open. */
  sessionInfo(): Promise<SessionInfo> {
    return getSessionInfo(this);
  }

  lanConfig(channel = 1): Promise<LanConfig> {
    return getLanConfig(this, channel);
  }

  /** Closes the session (Close Session first unless `notify: false`). */
  close(opts: { notify?: boolean } = {}): Promise<void> {
    return this.session.close(opts);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
