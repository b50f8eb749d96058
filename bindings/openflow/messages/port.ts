/** ofp_port (port description), OFPT_PORT_STATUS and OFPT_PORT_MOD. */
import { formatMac, parseMac } from '../addresses.js';
import type { Reader, Writer } from '../wire.js';

const OFP_MAX_PORT_NAME_LEN = 16;

export interface PortDesc {
  portNo: number;
  hwAddr: string;
  name: string;
  /** OFPPC_* bits. */
  config: number;
  /** OFPPS_* bits. */
  state: number;
  curr: number;
  advertised: number;
  supported: number;
  peer: number;
  /** kbps */
  currSpeed: number;
  maxSpeed: number;
}

export interface PortStatus {
  type: 'port_status';
  xid: number;
  /** OFPPR_ADD / DELETE / MODIFY */
  reason: number;
  port: PortDesc;
}

export interface PortMod {
  type: 'port_mod';
  xid: number;
  portNo: number;
  hwAddr: string;
  config: number;
  mask: number;
  advertise: number;
}

/** port_no, pad[4], hw_addr, pad[2]: how ofp_port and ofp_port_mod both begin. */
function encodePortHead(w: Writer, portNo: number, hwAddr: string, what: string): void {
  w.u32(portNo, 'port_no');
  w.zeros(4);
  w.bytes(parseMac(hwAddr, `${what} hw_addr`));
  w.zeros(2);
}

function decodePortHead(r: Reader): { portNo: number; hwAddr: string } {
  const portNo = r.u32('port_no');
  r.skip(4);
  r.need(6, 'hw_addr');
  const hwAddr = formatMac(r.bytes, r.pos);
  r.pos += 6;
  r.skip(2);
  return { portNo, hwAddr };
}

export function encodePortDesc(w: Writer, p: PortDesc): void {
  encodePortHead(w, p.portNo, p.hwAddr, 'port');
  w.fixedString(p.name, OFP_MAX_PORT_NAME_LEN, 'port name');
  w.u32(p.config, 'port config');
  w.u32(p.state, 'port state');
  w.u32(p.curr, 'port curr');
  w.u32(p.advertised, 'port advertised');
  w.u32(p.supported, 'port supported');
  w.u32(p.peer, 'port peer');
  w.u32(p.currSpeed, 'port curr_speed');
  w.u32(p.maxSpeed, 'port max_speed');
}

export function decodePortDesc(r: Reader): PortDesc {
  const { portNo, hwAddr } = decodePortHead(r);
  const name = r.fixedString(OFP_MAX_PORT_NAME_LEN, 'port name');
  const config = r.u32();
  const state = r.u32();
  const curr = r.u32();
  const advertised = r.u32();
  const supported = r.u32();
  const peer = r.u32();
  const currSpeed = r.u32();
  const maxSpeed = r.u32();
  return { portNo, hwAddr, name, config, state, curr, advertised, supported, peer, currSpeed, maxSpeed };
}

export function encodePortStatus(w: Writer, m: PortStatus): void {
  w.u8(m.reason, 'port_status reason');
  w.zeros(7);
  encodePortDesc(w, m.port);
}

export function decodePortStatus(r: Reader, xid: number): PortStatus {
  const reason = r.u8('port_status reason');
  r.skip(7);
  return { type: 'port_status', xid, reason, port: decodePortDesc(r) };
}

export function encodePortMod(w: Writer, m: PortMod): void {
  encodePortHead(w, m.portNo, m.hwAddr, 'port_mod');
  w.u32(m.config, 'config');
  w.u32(m.mask, 'mask');
  w.u32(m.advertise, 'advertise');
  w.zeros(4);
}

export function decodePortMod(r: Reader, xid: number): PortMod {
  const { portNo, hwAddr } = decodePortHead(r);
  const config = r.u32();
  const mask = r.u32();
  const advertise = r.u32();
  r.skip(4);
  return { type: 'port_mod', xid, portNo, hwAddr, config, mask, advertise };
}
