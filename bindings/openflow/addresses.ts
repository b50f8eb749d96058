/**
 * Text forms of link and network addresses in OXM fields: MAC "aa:bb:cc:dd:ee:ff", IPv4 dotted
 * quad, IPv6 in RFC 5952 canonical form (lower case, longest zero run compressed). Formatting is
 * canonical so that decode → encode → decode is stable.
 */
import { OpenFlowEncodeError } from './errors.js';

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function formatMac(b: Uint8Array, at = 0): string {
  const h = (i: number): string => HEX2[b[at + i] as number] as string;
  return `${h(0)}:${h(1)}:${h(2)}:${h(3)}:${h(4)}:${h(5)}`;
}

/** Hex digit value of a char code, or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

export function parseMac(s: string, what = 'MAC address'): Uint8Array {
  // Hand-written (no regex, no split): addresses are parsed for every flow_mod on the hot path.
  const out = new Uint8Array(6);
  const bad = (): never => {
    throw new OpenFlowEncodeError(`${what}: ${String(s)} is not a MAC address`);
  };
  if (typeof s !== 'string') bad();
  let i = 0;
  for (let k = 0; k < 6; k++) {
    if (k > 0) {
      const sep = s.charCodeAt(i++);
      if (sep !== 58 && sep !== 45) bad();
    }
    const a = hexDigit(s.charCodeAt(i++));
    if (a < 0) bad();
    const b = hexDigit(s.charCodeAt(i));
    if (b >= 0) {
      out[k] = a * 16 + b;
      i++;
    } else out[k] = a;
  }
  if (i !== s.length) bad();
  return out;
}

export function formatIpv4(b: Uint8Array, at = 0): string {
  return `${b[at] as number}.${b[at + 1] as number}.${b[at + 2] as number}.${b[at + 3] as number}`;
}

export function parseIpv4(s: string, what = 'IPv4 address'): Uint8Array {
  const out = new Uint8Array(4);
  const bad = (): never => {
    throw new OpenFlowEncodeError(`${what}: ${String(s)} is not a dotted-quad IPv4 address`);
  };
  if (typeof s !== 'string') bad();
  let i = 0;
  for (let k = 0; k < 4; k++) {
    if (k > 0 && s.charCodeAt(i++) !== 46) bad();
    let v = 0;
    let digits = 0;
    for (let c = s.charCodeAt(i); c >= 48 && c <= 57 && digits < 3; c = s.charCodeAt(++i)) {
      v = v * 10 + (c - 48);
      digits++;
    }
    if (digits === 0 || v > 255) bad();
    out[k] = v;
  }
  if (i !== s.length) bad();
  return out;
}

export function formatIpv6(b: Uint8Array, at = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(((b[at + 2 * i] as number) << 8) | (b[at + 2 * i + 1] as number));
  // RFC 5952: compress the longest run of two or more zero words (the first one on a tie).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

export function parseIpv6(s: string, what = 'IPv6 address'): Uint8Array {
  const bad = (): never => {
    throw new OpenFlowEncodeError(`${what}: ${String(s)} is not an IPv6 address`);
  };
  if (typeof s !== 'string') bad();
  let text = s;
  const tail: number[] = [];
  // An embedded dotted quad in the last 32 bits (::ffff:1.2.3.4).
  const v4 = /(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(text);
  if (v4 !== null) {
    const q = parseIpv4(v4[1] as string, what);
    tail.push(((q[0] as number) << 8) | (q[1] as number), ((q[2] as number) << 8) | (q[3] as number));
    text = text.slice(0, text.length - (v4[1] as string).length);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) bad();
  const words = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').map((w) => {
          if (!/^[0-9a-fA-F]{1,4}$/.test(w)) bad();
          return parseInt(w, 16);
        });
  const head = words(halves[0] as string);
  const rest = halves.length === 2 ? words(halves[1] as string) : [];
  const total = head.length + rest.length + tail.length;
  let all: number[];
  if (halves.length === 2) {
    if (total > 7) bad();
    all = [...head, ...new Array<number>(8 - total).fill(0), ...rest, ...tail];
  } else {
    if (total !== 8) bad();
    all = [...head, ...tail];
  }
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}
