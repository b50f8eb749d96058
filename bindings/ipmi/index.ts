/**
 * tstack-host/ipmi: an IPMI 2.0 RMCP+ ("lanplus") and IPMI 1.5 client in TypeScript over UDP.
 * Bridged requests to other controllers (IPMB behind the BMC) are not supported.
 */
export { IpmiClient, openSession, type IpmiSession } from './client.js';
export { IpmiPool, targetKey, type BmcTarget, type PoolOptions, type PoolResult } from './pool.js';
export { LanplusSession, type LanplusSessionInfo } from './lanplus-session.js';
export { Ipmi15Session, type Ipmi15SessionInfo } from './ipmi15-session.js';
export { presencePing } from './ping.js';
export { SolStream, openSol, type SolOptions } from './sol.js';
export type { CommandChannel, RawResponse, SessionOptions } from './session.js';
export { DEFAULT_RETRY, type RetryPolicy } from './transport.js';
export { CIPHER_SUITES, DEFAULT_CIPHER_SUITES, cipherSuite, type CipherSuite } from './cipher-suites.js';
export { Privilege, type PrivilegeLevel } from './rakp.js';
export { NetFn } from './message.js';
export type { PresencePong } from './rmcp.js';
export type { ChannelAuthCapabilities } from './channel-auth.js';
export * from './errors.js';

export { getDeviceId, getSelfTestResults, resetBmc, type DeviceId, type SelfTestResult } from './commands/device.js';
export { chassisControl, chassisIdentify, getChassisStatus, type ChassisStatus, type PowerAction, type PowerRestorePolicy } from './commands/chassis.js';
export {
  getBootFlags,
  getBootOption,
  setBootDevice,
  setBootOption,
  setBootFlagValidBitClearing,
  type BootDevice,
  type BootFlags,
  type DecodedBootFlags,
  type ValidBitClearing,
} from './commands/boot.js';
export { readSdrRepository, getSdrRepositoryInfo, decodeSdr, type SdrRecord, type FullSensorRecord, type CompactSensorRecord, type ConversionFactors } from './commands/sdr.js';
export { readSensors, convertReading, getSensorReading, getSensorThresholds, type Sensor, type SensorReading, type ThresholdState } from './commands/sensor.js';
export { addSelEntry, clearSel, getSelInfo, listSel, decodeSelRecord, type NewSystemEvent, type SelEntry, type SelInfo, type SystemEventRecord } from './commands/sel.js';
export { listUsers, type UserEntry, type UserAccess } from './commands/user.js';
export { getLanConfig, type LanConfig } from './commands/lan.js';
export { getSessionInfo, type SessionInfo } from './commands/session-info.js';
