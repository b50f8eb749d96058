/**
 * The head of an HTTP/1.1 answer as one Latin-1 string: status line, the application's fields,
 * then the fields the connection owns (Content-Length, Date, Connection, Keep-Alive), in the order
 * and spelling node:http uses for the last three.
 */
import { STATUS_CODES } from 'node:http';
import { Http1AnswerError } from './errors.js';
import { FIELD_VALUE, TOKEN } from './grammar.js';

const statusLines = new Map<number, string>();

export function statusLine(status: number): string {
  let line = statusLines.get(status);
  if (line === undefined) {
    if (!Number.isInteger(status) || status < 100 || status > 999) {
      throw new Http1AnswerError('ERR_HTTP1_INVALID_HEADER', `${status} is not an HTTP status code.`);
    }
    line = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    statusLines.set(status, line);
  }
  return line;
}

/** 1xx, 204 and 304 answers carry no body and no Content-Length (RFC 9110 §8.6). */
export function bodiless(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}

let dateUntil = 0;
let dateField = '';

/** `Date: <IMF-fixdate>\r\n`, formatted once per second. */
export function dateLine(now: number): string {
  if (now >= dateUntil) {
    dateUntil = now - (now % 1000) + 1000;
    dateField = `Date: ${new Date(now).toUTCString()}\r\n`;
  }
  return dateField;
}

/**
 * The application's fields as `name: value\r\n` lines. Names must be tokens and values free of
 * CR/LF (no response splitting); the connection's own fields may not be set here.
 */
export function fieldLines(fields: readonly string[]): string {
  let s = '';
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i] as string;
    const value = fields[i + 1];
    if (!goodNames.has(name)) checkName(name);
    if (value === undefined || !FIELD_VALUE.test(value)) {
      throw new Http1AnswerError('ERR_HTTP1_INVALID_HEADER', `The answer field ${JSON.stringify(name)} has no value or one with a control character.`);
    }
    s += `${name}: ${value}\r\n`;
  }
  return s;
}

/** Names already checked: an application sends the same few on every answer. */
const goodNames = new Set<string>();

function checkName(name: string): void {
  if (!TOKEN.test(name)) throw new Http1AnswerError('ERR_HTTP1_INVALID_HEADER', `The answer field name ${JSON.stringify(name)} is not a token.`);
  if (OWNED.has(name.toLowerCase())) {
    throw new Http1AnswerError('ERR_HTTP1_INVALID_HEADER', `The answer field ${name} is set by the connection, not the application.`);
  }
  if (goodNames.size < 256) goodNames.add(name);
}

const OWNED = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'date']);
