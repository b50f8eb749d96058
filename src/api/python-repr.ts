/**
 * Python's `repr()` of the value `json.loads` would make of a JSON document, given the value
 * `JSON.parse` made of it. Placement's error messages embed such reprs (jsonschema formats the
 * failing instance with `%r`), so clients that match on them need the Python spelling.
 *
 * What cannot be told apart after `JSON.parse`, and how it is printed:
 * - JSON `1.0` and `1` both parse to 1 and print `1` (Python would print `1.0` for the first).
 * - Integers beyond 2**53 (and `-0`) lose their literal spelling in JS; they print as the float
 *   Python makes of an exponent literal such as `1e16` (`1e+16`), `-0` as `0`.
 * - Object keys that look like array indices come first in a JS object whatever their place in
 *   the document; Python keeps document order.
 */
export function pyRepr(value: unknown): string {
  return render(value, false);
}

/** pyRepr with dict keys sorted: equal JSON values (as Python compares them) give equal text. */
export function canonicalRepr(value: unknown): string {
  return render(value, true);
}

function render(value: unknown, sortKeys: boolean): string {
  // An explicit stack rather than recursion: a body can nest deeper than the JS call stack, and a
  // message about it must still be written.
  const out: string[] = [];
  const todo: unknown[] = [value];
  while (todo.length > 0) {
    const v = todo.pop();
    if (v instanceof Text) {
      out.push(v.s);
    } else if (Array.isArray(v)) {
      const parts: unknown[] = [new Text('[')];
      v.forEach((item, i) => parts.push(...(i === 0 ? [] : [new Text(', ')]), item));
      parts.push(new Text(']'));
      pushReversed(todo, parts);
    } else if (typeof v === 'object' && v !== null) {
      const entries = Object.entries(v as Record<string, unknown>);
      if (sortKeys) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const parts: unknown[] = [new Text('{')];
      entries.forEach(([k, item], i) => parts.push(new Text(`${i === 0 ? '' : ', '}${pyStr(k)}: `), item));
      parts.push(new Text('}'));
      pushReversed(todo, parts);
    } else {
      out.push(scalar(v));
    }
  }
  return out.join('');
}

/** Pushes one at a time: spreading a list of a few hundred thousand items would overflow the stack. */
function pushReversed(stack: unknown[], items: unknown[]): void {
  for (let i = items.length - 1; i >= 0; i--) stack.push(items[i]);
}

/** Text already rendered, on pyRepr's stack among the values still to render. */
class Text {
  constructor(readonly s: string) {}
}

function scalar(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return pyStr(value);
  if (typeof value === 'number') return Number.isSafeInteger(value) ? String(value) : pyFloat(value);
  return String(value);
}

// Python's str.isprintable() is false for these general categories (the ASCII space excepted).
const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}

// Printable ASCII but for quotes and backslash: the usual key or value, which needs no escaping.
const PLAIN = /^[ !#-&(-[\]-~]*$/;

function pyStr(s: string): string {
  if (PLAIN.test(s)) return `'${s}'`;
  // Python picks double quotes only when that spares escaping: a ' and no ".
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  // for…of walks code points (a lone surrogate is one step), as Python's str does.
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${hex(code, 2)}`;
    else if (code < 0x7f || !NOT_PRINTABLE.test(ch)) out += ch;
    else if (code <= 0xff) out += `\\x${hex(code, 2)}`;
    else if (code <= 0xffff) out += `\\u${hex(code, 4)}`;
    else out += `\\U${hex(code, 8)}`;
  }
  return out + quote;
}

/**
 * Python's float repr: the shortest digits that round-trip (which `toExponential()` without an
 * argument also yields), written positionally when the decimal exponent is in [-4, 16) — with a
 * `.0` when integral — and otherwise as `d.ddde±XX` with at least two exponent digits.
 */
function pyFloat(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const sign = n < 0 ? '-' : '';
  const [mantissa = '', expText = '0'] = Math.abs(n).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const whole = exp + 1;
  if (digits.length <= whole) return `${sign}${digits}${'0'.repeat(whole - digits.length)}.0`;
  return `${sign}${digits.slice(0, whole)}.${digits.slice(whole)}`;
}
