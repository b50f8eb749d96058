import type { Logger } from '../../common/logger.js';

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

export interface JsonLoggerOptions {
  minLevel?: keyof typeof LEVELS;
  /**
   * Gather the lines of one turn of the event loop and write them together (at the next
   * setImmediate, at 64 KiB, on an error line, on flush() and at process exit) instead of one
   * write per line: a server logging every request then pays one write per batch of requests.
   */
  buffered?: boolean;
}

export interface JsonLogger extends Logger {
  /** Writes what is gathered (buffered mode); nothing to do otherwise. */
  flush(): void;
}

const FLUSH_AT = 64 * 1024;

/** A pino-shaped JSON-lines logger on a stream, for the command line. */
export function jsonLogger(stream: NodeJS.WritableStream, options: JsonLoggerOptions | keyof typeof LEVELS = {}): JsonLogger {
  const o: JsonLoggerOptions = typeof options === 'string' ? { minLevel: options } : options;
  const minLevel = LEVELS[o.minLevel ?? 'info'];
  let pending = '';
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending === '') return;
    const out = pending;
    pending = '';
    stream.write(out);
  };
  if (o.buffered === true) process.once('exit', flush);
  const emit = (line: string, level: number): void => {
    if (o.buffered !== true) {
      stream.write(line);
      return;
    }
    pending += line;
    if (level >= LEVELS.error || pending.length >= FLUSH_AT) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  const write = (level: keyof typeof LEVELS) => (obj: object, msg?: string): void => {
    const n = LEVELS[level];
    if (n < minLevel) return;
    emit(lineOf(n, obj, msg), n);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), flush };
}

/** `{"level":…,"time":…,…obj,"msg":…}` and a newline. */
function lineOf(level: number, obj: object, msg: string | undefined): string {
  const o = obj as Record<string, unknown>;
  if (!('err' in o) && !('level' in o) && !('time' in o) && !('msg' in o)) {
    // The usual line (an access-log entry): obj's own text spliced in, without copying obj.
    const body = JSON.stringify(obj);
    return (
      `{"level":${level},"time":${Date.now()}` + (body.length > 2 ? ',' + body.slice(1, -1) : '') + (msg === undefined ? '' : ',"msg":' + JSON.stringify(msg)) + '}\n'
    );
  }
  const entry: Record<string, unknown> = { level, time: Date.now(), ...obj };
  if (msg !== undefined) entry['msg'] = msg;
  const err = entry['err'];
  if (err instanceof Error) entry['err'] = { type: err.name, message: err.message, stack: err.stack };
  return JSON.stringify(entry) + '\n';
}
