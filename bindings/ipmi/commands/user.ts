/** User accounts (IPMI 2.0 sections 22.27-22.29): Get User Access and Get User Name per user ID. */
import { Reader } from '../bytes.js';
import { IpmiCompletionError } from '../errors.js';
import { NetFn } from '../message.js';
import type { CommandChannel } from '../session.js';

export const UserCmd = { getUserAccess: 0x44, getUserName: 0x46 } as const;

export type ChannelPrivilege = 'callback' | 'user' | 'operator' | 'administrator' | 'oem' | 'no-access' | 'reserved';

export function privilegeName(n: number): ChannelPrivilege {
  return (['reserved', 'callback', 'user', 'operator', 'administrator', 'oem'][n] as ChannelPrivilege | undefined) ?? (n === 0x0f ? 'no-access' : 'reserved');
}

export interface UserAccess {
  maxUsers: number;
  enabledUsers: number;
  /** 0 unspecified, 1 enabled via Set User Password, 2 disabled. */
  enableStatus: number;
  fixedNames: number;
  callbackOnly: boolean;
  linkAuth: boolean;
  ipmiMessaging: boolean;
  privilege: ChannelPrivilege;
  privilegeCode: number;
}

export function decodeUserAccess(data: Buffer): UserAccess {
  const r = new Reader(data, 'Get User Access response');
  const b1 = r.u8();
  const b2 = r.u8();
  const b3 = r.u8();
  const b4 = r.u8();
  return {
    maxUsers: b1 & 0x3f,
    enabledUsers: b2 & 0x3f,
    enableStatus: b2 >> 6,
    fixedNames: b3 & 0x3f,
    callbackOnly: (b4 & 0x40) !== 0,
    linkAuth: (b4 & 0x20) !== 0,
    ipmiMessaging: (b4 & 0x10) !== 0,
    privilege: privilegeName(b4 & 0x0f),
    privilegeCode: b4 & 0x0f,
  };
}

export interface UserEntry {
  id: number;
  name: string;
  access: UserAccess;
}

export async function getUserAccess(ch: CommandChannel, channel: number, userId: number): Promise<UserAccess> {
  return decodeUserAccess(await ch.request(NetFn.app, UserCmd.getUserAccess, Buffer.from([channel & 0x0f, userId & 0x3f]), `Get User Access ${userId}`));
}

export async function getUserName(ch: CommandChannel, userId: number): Promise<string> {
  const d = await ch.request(NetFn.app, UserCmd.getUserName, Buffer.from([userId & 0x3f]), `Get User Name ${userId}`);
  const end = d.indexOf(0);
  return d.subarray(0, end < 0 ? d.length : end).toString('latin1');
}

/** Every user ID 1..max on `channel` (the LAN channel is usually 1), as `ipmitool user list` shows them. */
export async function listUsers(ch: CommandChannel, channel = 1): Promise<UserEntry[]> {
  const first = await getUserAccess(ch, channel, 1);
  const out: UserEntry[] = [];
  for (let id = 1; id <= first.maxUsers; id++) {
    const access = id === 1 ? first : await getUserAccess(ch, channel, id);
    let name = '';
    try {
      name = await getUserName(ch, id);
    } catch (e) {
      if (!(e instanceof IpmiCompletionError)) throw e;
    }
    out.push({ id, name, access });
  }
  return out;
}
