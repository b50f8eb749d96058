/**
 * A small XML 1.0 writer and parser, enough for libvirt's documents: elements, attributes, text,
 * CDATA, comments, processing instructions and the five named plus numeric character references.
 * No DTDs. Every string written is escaped; a string holding a character XML 1.0 cannot carry at
 * all (NUL, most C0 controls, lone surrogates, U+FFFE/U+FFFF) is refused with ERR_LIBVIRT_XML
 * rather than silently changed.
 */
import { LibvirtError } from '../errors.js';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

export function xmlError(message: string): LibvirtError {
  return new LibvirtError('ERR_LIBVIRT_XML', message);
}

// Chars allowed by XML 1.0: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
const INVALID = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function isXmlSafe(s: string): boolean {
  return !INVALID.test(s);
}

function checkChars(s: string, where: string): void {
  if (INVALID.test(s)) throw xmlError(`${where} holds a character XML cannot represent`);
}

export function escapeText(s: string): string {
  checkChars(s, 'text');
  return s.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;'));
}

export function escapeAttr(s: string): string {
  checkChars(s, 'attribute');
  // Tabs and newlines are escaped too: attribute-value normalisation would turn them into spaces.
  return s.replace(/[&<>"'\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const NAME = /^[A-Za-z_][A-Za-z0-9._:-]*$/;

export function el(name: string, attrs: Record<string, string | number | boolean | undefined> = {}, children: (XmlNode | undefined | false)[] = []): XmlElement {
  const a: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) a[k] = String(v);
  return { name, attrs: a, children: children.filter((c): c is XmlNode => c !== undefined && c !== false) };
}

export function serialize(node: XmlNode, indent = ''): string {
  if (typeof node === 'string') return escapeText(node);
  if (!NAME.test(node.name)) throw xmlError(`bad element name ${JSON.stringify(node.name)}`);
  let out = `${indent}<${node.name}`;
  for (const [k, v] of Object.entries(node.attrs)) {
    if (!NAME.test(k)) throw xmlError(`bad attribute name ${JSON.stringify(k)}`);
    out += ` ${k}="${escapeAttr(v)}"`;
  }
  if (node.children.length === 0) return `${out}/>`;
  if (node.children.every((c) => typeof c === 'string')) return `${out}>${node.children.map((c) => escapeText(c as string)).join('')}</${node.name}>`;
  const inner = node.children.map((c) => (typeof c === 'string' ? escapeText(c) : serialize(c, `${indent}  `))).join('\n');
  return `${out}>\n${inner}\n${indent}</${node.name}>`;
}

// ------------------------------------------------------------------ parser

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(raw: string, at: number): string {
  return raw.replace(/&([^;&\s]*);?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) throw xmlError(`unterminated reference near offset ${at}`);
    if (ref.startsWith('#x') || ref.startsWith('#X')) return codePoint(parseInt(ref.slice(2), 16), ref, at);
    if (ref.startsWith('#')) return codePoint(Number(ref.slice(1)), ref, at);
    const e = ENTITIES[ref];
    if (e === undefined) throw xmlError(`unknown entity &${ref}; near offset ${at}`);
    return e;
  });
}

function codePoint(n: number, ref: string, at: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0x10ffff || !/^#(x[0-9a-fA-F]+|[0-9]+)$/i.test(ref)) throw xmlError(`bad character reference &${ref}; near offset ${at}`);
  const s = String.fromCodePoint(n);
  if (!isXmlSafe(s)) throw xmlError(`character reference &${ref}; is not an XML character`);
  return s;
}

/** Parses one document into its root element. Whitespace-only text between elements is dropped. */
export function parseXml(input: string): XmlElement {
  if (typeof input !== 'string') throw xmlError('XML input must be a string');
  if (!isXmlSafe(input)) throw xmlError('document holds a character XML cannot represent');
  let i = 0;
  const n = input.length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  const text = (s: string): void => {
    const top = stack[stack.length - 1];
    if (top === undefined) {
      if (s.trim() !== '') throw xmlError(`text outside the root element at offset ${i}`);
      return;
    }
    top.children.push(s);
  };

  while (i < n) {
    const lt = input.indexOf('<', i);
    if (lt < 0) {
      text(decode(input.slice(i), i));
      break;
    }
    if (lt > i) text(decode(input.slice(i, lt), i));
    i = lt;
    if (input.startsWith('<!--', i)) {
      const end = input.indexOf('-->', i + 4);
      if (end < 0) throw xmlError('unterminated comment');
      i = end + 3;
    } else if (input.startsWith('<![CDATA[', i)) {
      const end = input.indexOf(']]>', i + 9);
      if (end < 0) throw xmlError('unterminated CDATA section');
      if (stack.length === 0) throw xmlError('CDATA outside the root element');
      text(input.slice(i + 9, end));
      i = end + 3;
    } else if (input.startsWith('<?', i)) {
      const end = input.indexOf('?>', i + 2);
      if (end < 0) throw xmlError('unterminated processing instruction');
      i = end + 2;
    } else if (input.startsWith('<!', i)) {
      throw xmlError(`DTDs and declarations are not supported (offset ${i})`);
    } else if (input.startsWith('</', i)) {
      const end = input.indexOf('>', i);
      if (end < 0) throw xmlError('unterminated end tag');
      const name = input.slice(i + 2, end).trim();
      const top = stack.pop();
      if (top === undefined || top.name !== name) throw xmlError(`end tag </${name}> does not match ${top === undefined ? 'anything' : `<${top.name}>`}`);
      i = end + 1;
      if (stack.length === 0) root = top;
    } else {
      i = startTag(i);
    }
  }
  if (stack.length > 0) throw xmlError(`element <${stack[stack.length - 1]?.name}> is not closed`);
  if (root === undefined) throw xmlError('no root element');
  return collapse(root);

  function startTag(start: number): number {
    let j = start + 1;
    const nameMatch = /^[A-Za-z_][A-Za-z0-9._:-]*/.exec(input.slice(j, j + 256));
    if (nameMatch === null) throw xmlError(`bad tag at offset ${start}`);
    const elem: XmlElement = { name: nameMatch[0], attrs: {}, children: [] };
    j += nameMatch[0].length;
    for (;;) {
      while (j < n && /\s/.test(input[j] as string)) j++;
      if (j >= n) throw xmlError(`unterminated tag <${elem.name}>`);
      if (input.startsWith('/>', j)) {
        attach(elem, true);
        return j + 2;
      }
      if (input[j] === '>') {
        attach(elem, false);
        return j + 1;
      }
      const an = /^[A-Za-z_][A-Za-z0-9._:-]*/.exec(input.slice(j, j + 256));
      if (an === null) throw xmlError(`bad attribute in <${elem.name}> at offset ${j}`);
      j += an[0].length;
      while (j < n && /\s/.test(input[j] as string)) j++;
      if (input[j] !== '=') throw xmlError(`attribute ${an[0]} without a value at offset ${j}`);
      j++;
      while (j < n && /\s/.test(input[j] as string)) j++;
      const q = input[j];
      if (q !== '"' && q !== "'") throw xmlError(`unquoted attribute ${an[0]} at offset ${j}`);
      const end = input.indexOf(q, j + 1);
      if (end < 0) throw xmlError(`unterminated attribute ${an[0]}`);
      const raw = input.slice(j + 1, end);
      if (raw.includes('<')) throw xmlError(`'<' in attribute ${an[0]}`);
      if (Object.prototype.hasOwnProperty.call(elem.attrs, an[0])) throw xmlError(`duplicate attribute ${an[0]}`);
      // Literal whitespace in a value normalises to a space; escaped whitespace survives.
      elem.attrs[an[0]] = decode(raw.replace(/[\t\n\r]/g, ' '), j);
      j = end + 1;
    }
  }

  function attach(elem: XmlElement, selfClosing: boolean): void {
    const top = stack[stack.length - 1];
    if (top === undefined) {
      if (root !== undefined) throw xmlError('more than one root element');
    } else {
      top.children.push(elem);
    }
    if (selfClosing) {
      if (top === undefined) root = elem;
    } else {
      stack.push(elem);
    }
  }
}

/** Joins adjacent text and drops whitespace-only text in elements that also hold elements. */
function collapse(e: XmlElement): XmlElement {
  const out: XmlNode[] = [];
  for (const c of e.children) {
    if (typeof c === 'string') {
      const last = out[out.length - 1];
      if (typeof last === 'string') out[out.length - 1] = last + c;
      else out.push(c);
    } else {
      out.push(collapse(c));
    }
  }
  const hasElements = out.some((c) => typeof c !== 'string');
  e.children = hasElements ? out.filter((c) => typeof c !== 'string' || c.trim() !== '') : out;
  return e;
}

// ------------------------------------------------------------------ reading helpers

export function child(e: XmlElement | undefined, name: string): XmlElement | undefined {
  return e?.children.find((c): c is XmlElement => typeof c !== 'string' && c.name === name);
}

export function children(e: XmlElement | undefined, name: string): XmlElement[] {
  return (e?.children ?? []).filter((c): c is XmlElement => typeof c !== 'string' && c.name === name);
}

export function textOf(e: XmlElement | undefined): string | undefined {
  if (e === undefined) return undefined;
  return e.children.filter((c): c is string => typeof c === 'string').join('');
}
