import type { Logger } from '../../common/logger.js';

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** A pino-shaped JSON-lines logger on a stream, for the command line. */
export function jsonLogger(stream: NodeJS.WritableStream, minLevel: keyof typeof LEVELS = 'info'): Logger {
  const write = (level: keyof typeof LEVELS) => (obj: object, msg?: string): void => {
    if (LEVELS[level] < LEVELS[minLevel]) return;
    const entry: Record<string, unknown> = { level: LEVELS[level], time: Date.now(), ...obj };
    if (msg !== undefined) entry['msg'] = msg;
    const err = entry['err'];
    if (err instanceof Error) entry['err'] = { type: err.name, message: err.message, stack: err.stack };
    stream.write(JSON.stringify(entry) + '\n');
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
