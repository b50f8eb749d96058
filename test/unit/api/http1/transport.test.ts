/**
 * The two transports side by side: the native socket pump must give, byte for byte, the answers
 * node:net gives (whatever the split of the input into segments, and however many connections
 * are open at once), choose itself as described, and leave the process free to exit once closed.
 */
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Http1Exchange, Http1Transport } from '../../../../src/api/http1/index.js';
import { Http1Server } from '../../../../src/api/http1/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

const servers: Http1Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Echoes method, target, a header and the body; `/late` answers on a timer, `/big` is large. */
function echo(ex: Http1Exchange): void {
  const text = `${ex.method} ${ex.target} ${ex.headers['x-n'] ?? '-'} ${ex.body.toString('latin1')}`;
  if (ex.bodyTooLarge) ex.respond(413, [], 'too large');
  else if (ex.target.startsWith('/late')) setTimeout(() => ex.respond(201, ['x-late', 'yes'], text), 2);
  else if (ex.target.startsWith('/big')) ex.respond(200, [], Buffer.alloc(200_000, text));
  else ex.respond(200, ['content-type', 'text/plain'], text);
}

async function serve(transport: Exclude<Http1Transport, 'auto'>): Promise<number> {
  const server = new Http1Server(echo, { transport, maxBodyBytes: 4096, maxHeadBytes: 2048 });
  servers.push(server);
  return (await server.listen(0)).port;
}

/** Sends `segments` one write each (a pause between them) and returns all the server sent until it closed. */
function exchange(port: number, segments: readonly Buffer[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.setNoDelay(true);
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(d));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(got).toString('latin1').replace(/Date: [^\r]*\r\n/g, '')));
    s.on('connect', async () => {
      for (const seg of segments) {
        if (s.destroyed) return;
        s.write(seg);
        await new Promise((r) => setImmediate(r));
      }
      s.end();
    });
  });
}

const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'HEAD', 'DELETE'),
  target: fc.constantFrom('/a', '/late', '/big', '/x?y=1', '/%7E'),
  n: fc.nat(99),
  body: fc.option(fc.string({ maxLength: 60 }), { nil: undefined }),
  chunked: fc.boolean(),
  close: fc.boolean(),
});
type Req = typeof request extends fc.Arbitrary<infer T> ? T : never;

function encode(r: Req): string {
  let s = `${r.method} ${r.target} HTTP/1.1\r\nHost: h\r\nX-N: ${r.n}\r\n`;
  if (r.close) s += 'Connection: close\r\n';
  if (r.body === undefined) return `${s}\r\n`;
  const body = Buffer.from(r.body, 'utf8').toString('latin1');
  if (!r.chunked) return `${s}Content-Length: ${body.length}\r\n\r\n${body}`;
  return `${s}Transfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
}

/** Cuts `bytes` at the given offsets. */
function cut(bytes: Buffer, at: readonly number[]): Buffer[] {
  const points = [...new Set(at.map((a) => a % (bytes.length + 1)))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    if (p > from) out.push(bytes.subarray(from, p));
    from = p;
  }
  return out;
}

describe('the native transport and node:net', () => {
  it('send the same bytes for any requests, pipelined and cut anywhere (some malformed)', async () => {
    const native = await serve('native');
    const node = await serve('node');
    await fc.assert(
      fc.asyncProperty(
        fc.array(request, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(4000), { maxLength: 8 }),
        fc.option(fc.constantFrom('GET /bad HTTP/1.1\r\nX : y\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', `PUT /p HTTP/1.1\r\nContent-Length: 5000\r\n\r\n`), { nil: undefined }),
        async (reqs, at, bad) => {
          const bytes = Buffer.from(reqs.map(encode).join('') + (bad ?? ''), 'latin1');
          const segments = cut(bytes, at);
          const [a, b] = await Promise.all([exchange(native, segments), exchange(node, segments)]);
          expect(a).toBe(b);
          expect(a.startsWith('HTTP/1.1 ')).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('serves hundreds of connections at once, each its own answers in order', async () => {
    const port = await serve('native');
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, c) => {
        const reqs = Array.from({ length: 4 }, (_, i) => `POST /c${c}/${i} HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n${String(i).padStart(3, '0')}`);
        return exchange(port, [Buffer.from(reqs.join('') + 'GET /last HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n')]);
      }),
    );
    results.forEach((text, c) => {
      const bodies = [...text.matchAll(/\r\n\r\n([^H]*)/g)].map((m) => m[1]);
      expect(bodies).toEqual([0, 1, 2, 3].map((i) => `POST /c${c}/${i} - ${String(i).padStart(3, '0')}`).concat(['GET /last - ']));
    });
    const server = servers[0] as Http1Server;
    while (server.connectionCount > 0) await new Promise((r) => setTimeout(r, 5));
  });
});

describe('choosing a transport', () => {
  /** Runs a module in a fresh Node process (the addon is loaded once per process). */
  function run(code: string, env: Record<string, string> = {}): { status: number | null; out: string } {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20_000 });
    return { status: r.status, out: r.stdout + r.stderr };
  }
  const imp = `import { Http1Server } from './dist/src/api/http1/index.js';`;

  it('takes the native pump by default, node:net when asked (option or TSTACK_HTTP_TRANSPORT)', () => {
    expect(new Http1Server(echo).transport).toBe('native');
    expect(new Http1Server(echo, { transport: 'node' }).transport).toBe('node');
    const r = run(`${imp} console.log(new Http1Server(() => {}).transport);`, { TSTACK_HTTP_TRANSPORT: 'node' });
    expect(r.out.trim()).toBe('node');
  });

  it('falls back to node:net without the addon, and names the fix when native is required', () => {
    const env = { TSTACK_HTTP_ADDON_DIR: '/nonexistent' };
    expect(run(`${imp} console.log(new Http1Server(() => {}).transport);`, env).out.trim()).toBe('node');
    const r = run(`${imp} try { new Http1Server(() => {}, { transport: 'native' }); } catch (e) { console.log(e.code, e.message); }`, env);
    expect(r.out).toMatch(/^ERR_HTTP1_NATIVE_UNAVAILABLE .*npm run build:native/);
  });

  it('keeps the process alive while listening, and lets it exit once closed', () => {
    const code = `${imp}
      const s = new Http1Server((ex) => ex.respond(200, [], 'ok'), { transport: 'native' });
      const { port } = await s.listen(0);
      const net = await import('node:net');
      const c = net.connect(port, '127.0.0.1');
      c.on('data', async (d) => { console.log(String(d).split('\\r\\n')[0]); c.destroy(); await s.close(); console.log('closed'); });
      c.write('GET / HTTP/1.1\\r\\nHost: h\\r\\n\\r\\n');`;
    const r = run(code);
    expect(r.status).toBe(0);
    expect(r.out.trim().split('\n')).toEqual(['HTTP/1.1 200 OK', 'closed']);
  });

  it('reports the address it is bound to, and refuses a port in use with the errno code', async () => {
    const port = await serve('native');
    expect(servers[0]?.address()).toEqual({ address: '127.0.0.1', family: 'IPv4', port });
    const second = new Http1Server(echo, { transport: 'native' });
    servers.push(second);
    await expect(second.listen(port)).rejects.toMatchObject({ code: 'ERR_HTTP1_LISTEN', cause: { code: 'EADDRINUSE', syscall: 'listen' } });
    expect(second.address()).toBeUndefined();
  });
});

describe('the native transport under load it cannot take yet', () => {
  it('stops reading at 4 MiB of input waiting for a busy JS thread, then reads on', async () => {
    // The server runs in a child whose JS thread blocks for a while; the deliveries' sizes are
    // recorded there. The client floods one connection meanwhile.
    const server = `${`import { Http1Server } from './dist/src/api/http1/index.js';`}
      let biggest = 0, total = 0;
      const s = new Http1Server((ex) => {
        if (ex.target === '/block') { const until = Date.now() + 1500; while (Date.now() < until); }
        ex.respond(200, [], String(ex.body.length));
      }, { transport: 'native', maxBodyBytes: 64 * 1024 * 1024 });
      const l = s.listener; const deliver = l.deliver;
      l.deliver = function (meta, data) { biggest = Math.max(biggest, data.length); total += data.length; return deliver.call(this, meta, data); };
      const { port } = await s.listen(0);
      console.log(port);
      process.on('SIGTERM', async () => { await s.close(); console.log(JSON.stringify({ biggest, total })); });`;
    const child = (await import('node:child_process')).spawn(process.execPath, ['--input-type=module', '-e', server], { cwd: root });
    const lines: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (d: string) => lines.push(...d.trim().split('\n')));
    while (lines.length === 0) await new Promise((r) => setTimeout(r, 10));
    const port = Number(lines[0]);
    const body = 48 * 1024 * 1024;
    const blocker = exchange(port, [Buffer.from('GET /block HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n')]);
    await new Promise((r) => setTimeout(r, 100));
    const flood = exchange(port, [Buffer.from(`POST /flood HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: ${body}\r\n\r\n`), Buffer.alloc(body, 'f')]);
    expect(await blocker).toMatch(/\r\n\r\n0$/);
    expect(await flood).toMatch(new RegExp(`\r\n\r\n${body}$`));
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    const { biggest, total } = JSON.parse(lines[1] as string) as { biggest: number; total: number };
    expect(total).toBeGreaterThan(body);
    expect(biggest).toBeGreaterThan(1024 * 1024);
    expect(biggest).toBeLessThanOrEqual(4 * 1024 * 1024 + 64 * 1024);
  }, 20_000);
});

describe.each(['native', 'node'] as const)('%s transport, in a server process of its own', (transport) => {
  /** Starts `body` (a module; `Http1Server` and `transport` in scope) in a child; resolves to its port and its output lines. */
  async function child(body: string, shell = ''): Promise<{ port: number; lines: string[]; proc: import('node:child_process').ChildProcess }> {
    const code = `import { Http1Server } from './dist/src/api/http1/index.js'; const transport = '${transport}';\n${body}`;
    const { spawn } = await import('node:child_process');
    const proc = spawn('sh', ['-c', `${shell} exec "$0" --input-type=module -e "$1"`, process.execPath, code], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
    const lines: string[] = [];
    proc.stdout.setEncoding('utf8').on('data', (d: string) => lines.push(...d.trim().split('\n')));
    while (lines.length === 0) await new Promise((r) => setTimeout(r, 10));
    return { port: Number(lines[0]), lines, proc };
  }

  it('out of descriptors, closes the clients it cannot take, and takes them again once some are free', async () => {
    const { port, lines, proc } = await child(
      `const fs = await import('node:fs');
      const s = new Http1Server((ex) => ex.respond(200, [], 'hi'), { transport });
      console.log((await s.listen(0)).port);
      const fill = [];
      process.stdin.once('data', () => {
        try { for (;;) fill.push(fs.openSync('/dev/null', 'r')); } catch { console.log('full'); }
        process.stdin.once('data', () => { for (const fd of fill) fs.closeSync(fd); console.log('freed'); process.stdin.once('data', async () => { await s.close(); process.exit(0); }); });
      });`,
      'ulimit -n 256;',
    );
    const until = async (line: string): Promise<void> => {
      while (!lines.includes(line)) await new Promise((r) => setTimeout(r, 10));
    };
    proc.stdin?.write('fill\n');
    await until('full');
    // Answered by a close (no descriptor to serve it), not left waiting.
    const refused = await Promise.race([exchange(port, [Buffer.from('GET / HTTP/1.1\r\nHost: h\r\n\r\n')]).catch(() => 'reset'), new Promise((r) => setTimeout(() => r('waiting'), 3000))]);
    expect(['', 'reset']).toContain(refused);
    proc.stdin?.write('free\n');
    await until('freed');
    expect(await exchange(port, [Buffer.from('GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n')])).toMatch(/^HTTP\/1.1 200 OK[\s\S]*\r\n\r\nhi$/);
    proc.stdin?.write('stop\n');
    await new Promise((r) => proc.once('exit', r));
  }, 20_000);

  it('does not call `sent` for an answer to a client that reset while the server was busy', async () => {
    const { port, lines, proc } = await child(
      `const s = new Http1Server((ex) => {
        if (ex.target === '/block') { const until = Date.now() + 600; while (Date.now() < until); ex.respond(200, [], 'ok'); return; }
        ex.respond(200, [], Buffer.alloc(100_000, 'x'), () => console.log('sent ' + ex.target));
      }, { transport });
      console.log((await s.listen(0)).port);
      process.stdin.once('data', async () => { await s.close(); console.log('closed'); process.exit(0); });`,
    );
    const blocker = exchange(port, [Buffer.from('GET /block HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n')]);
    await new Promise((r) => setTimeout(r, 100));
    // Sent while the server's JS thread is blocked, then reset: its answer has nowhere to go.
    const dead = net.connect(port, '127.0.0.1');
    dead.on('error', () => {});
    await new Promise((r) => dead.once('connect', r));
    dead.write('GET /dead HTTP/1.1\r\nHost: h\r\n\r\n');
    await new Promise((r) => setTimeout(r, 50));
    dead.resetAndDestroy();
    expect(await blocker).toMatch(/\r\n\r\nok$/);
    // A live client's answer does report `sent`.
    expect(await exchange(port, [Buffer.from('GET /live HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n')])).toMatch(/^HTTP\/1.1 200/);
    proc.stdin?.write('stop\n');
    await new Promise((r) => proc.once('exit', r));
    expect(lines.filter((l) => l.startsWith('sent '))).toEqual(['sent /live']);
    expect(lines).toContain('closed');
  }, 20_000);
});
