/** The 8-byte ofp_header that starts every OpenFlow message. */
import { OpenFlowDecodeError } from './errors.js';

export const OFP_HEADER_LEN = 8;
/** The length field is 16 bits: no message is longer. */
export const OFP_MAX_MESSAGE_LEN = 0xffff;

export interface OfpHeader {
  version: number;
  type: number;
  length: number;
  xid: number;
}

/** Reads the header at `at`; throws OpenFlowDecodeError on fewer than 8 bytes or a length < 8. */
export function readHeader(bytes: Uint8Array, at = 0): OfpHeader {
  if (bytes.length - at < OFP_HEADER_LEN) throw new OpenFlowDecodeError(`header needs 8 bytes, ${bytes.length - at} present`, at);
  const version = bytes[at] as number;
  const type = bytes[at + 1] as number;
  const length = ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
  const xid = (((bytes[at + 4] as number) << 24) | ((bytes[at + 5] as number) << 16) | ((bytes[at + 6] as number) << 8) | (bytes[at + 7] as number)) >>> 0;
  if (length < OFP_HEADER_LEN) throw new OpenFlowDecodeError(`header length ${length} < 8`, at + 2);
  return { version, type, length, xid };
}
