/** Get Session Info (IPMI 2.0 section 22.20): the BMC's session slots and who holds them. */
import { Reader } from '../bytes.js';
import { NetFn } from '../message.js';
import type { CommandChannel } from '../session.js';
import { privilegeName, type ChannelPrivilege } from './user.js';

export const GET_SESSION_INFO = 0x3d;

export interface SessionInfo {
  handle: number;
  /** Session slots the BMC has in all. */
  slots: number;
  /** Sessions active now. */
  active: number;
  userId: number;
  privilege: ChannelPrivilege;
  /** 0 IPMI 1.5, 1 IPMI 2.0 / RMCP+. */
  sessionType: number;
  channel: number;
}

export function decodeSessionInfo(data: Buffer): SessionInfo {
  const r = new Reader(data, 'Get Session Info response');
  const handle = r.u8();
  const slots = r.u8() & 0x3f;
  const active = r.u8() & 0x3f;
  const userId = r.remaining > 0 ? r.u8() & 0x3f : 0;
  const privilege = privilegeName(r.remaining > 0 ? r.u8() & 0x0f : 0);
  const b = r.remaining > 0 ? r.u8() : 0;
  return { handle, slots, active, userId, privilege, sessionType: b >> 4, channel: b & 0x0f };
}

/** Information on the session this request travels in (index 0x00). */
export async function getSessionInfo(ch: CommandChannel): Promise<SessionInfo> {
  return decodeSessionInfo(await ch.request(NetFn.app, GET_SESSION_INFO, Buffer.from([0x00]), 'Get Session Info'));
}
