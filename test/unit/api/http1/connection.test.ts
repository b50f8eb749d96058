/**
 * The HTTP/1.1 server over real loopback sockets: keep-alive, close, pipelining order, 100-continue,
 * limits, timeouts (small values), graceful close. Answers are read by a raw client below, so what
 * is checked is the bytes on the wire.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Http1Exchange, Http1ServerOptions } from '../../../../src/api/http1/index.js';
import { Http1AnswerError, Http1Server, Http1ServerError } from '../../../../src/api/http1/index.js';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A raw client: writes bytes, reads answers framed by Content-Length (or none for HEAD/1xx). */
class Raw {
  private buf = '';
  private waiters: (() => void)[] = [];
  readonly closed: Promise<void>;
  ended = false;

  constructor(readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      this.wake();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.ended = true;
        this.wake();
        resolve();
      }),
    );
  }

  static async open(port: number): Promise<Raw> {
    const s = net.connect(port, '127.0.0.1');
    await new Promise((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
    return new Raw(s);
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async until(ready: () => boolean): Promise<void> {
    while (!ready()) {
      if (this.ended) throw new Error(`connection closed; have ${JSON.stringify(this.buf)}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** The next answer; `head` true when it has no body whatever its Content-Length says. */
  async answer(head = false): Promise<Answer> {
    await this.until(() => this.buf.includes('\r\n\r\n'));
    const end = this.buf.indexOf('\r\n\r\n');
    const lines = this.buf.slice(0, end).split('\r\n');
    const status = Number((lines[0] as string).split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
    const length = head || status < 200 ? 0 : Number(headers['content-length'] ?? 0);
    await this.until(() => this.buf.length >= end + 4 + length);
    const body = this.buf.slice(end + 4, end + 4 + length);
    this.buf = this.buf.slice(end + 4 + length);
    return { status, headers, body };
  }

  /** What is left unread (after the server closed). */
  rest(): string {
    return this.buf;
  }
}

const servers: Http1Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Targets whose handler has run. */
const handled = new Set<string>();

/** Answers `METHOD target body` as text; `/wait/N` answers after N ms. */
function echo(ex: Http1Exchange): void {
  handled.add(ex.target);
  const text = `${ex.method} ${ex.target} ${ex.body.toString()}`;
  if (ex.bodyTooLarge) ex.respond(413, ['content-type', 'text/plain'], 'too large');
  else if (ex.target.startsWith('/wait/')) setTimeout(() => ex.respond(200, ['content-type', 'text/plain'], text), Number(ex.target.slice(6)));
  else ex.respond(200, ['content-type', 'text/plain', 'x-host', ex.headers['host'] ?? '-'], text);
}


const GET = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: h\r\n${extra}\r\n`;

// Every test runs on both transports: the native socket pump and node:net.
describe.each(['native', 'node'] as const)('%s transport', (transport) => {
  async function start(options: Http1ServerOptions = {}, handler: (ex: Http1Exchange) => void = echo): Promise<{ server: Http1Server; port: number }> {
    const server = new Http1Server(handler, { maxBodyBytes: 64, transport, ...options });
    servers.push(server);
    expect(server.transport).toBe(transport);
    const { port } = await server.listen(0);
    return { server, port };
  }

  describe('keep-alive and close', () => {
    it('keeps an HTTP/1.1 connection for several requests, with node:http’s fields', async () => {
      const { port } = await start({ keepAliveTimeoutMs: 7000 });
      const c = await Raw.open(port);
      c.send(GET('/a'));
      const a = await c.answer();
      expect(a).toMatchObject({ status: 200, body: 'GET /a ' });
      expect(a.headers).toMatchObject({ 'content-type': 'text/plain', 'content-length': '7', connection: 'keep-alive', 'keep-alive': 'timeout=7', 'x-host': 'h' });
      expect(new Date(a.headers['date'] as string).toUTCString()).toBe(a.headers['date']);
      c.send(`POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi`);
      expect((await c.answer()).body).toBe('POST /b hi');
      expect(c.ended).toBe(false);
      c.socket.destroy();
    });

    it('closes after the answer when the request says Connection: close, or is HTTP/1.0 without keep-alive', async () => {
      const { port } = await start();
      const c = await Raw.open(port);
      c.send(GET('/a', 'Connection: close\r\n'));
      expect((await c.answer()).headers['connection']).toBe('close');
      await c.closed;
      const old = await Raw.open(port);
      old.send('GET /old HTTP/1.0\r\n\r\n');
      expect(await old.answer()).toMatchObject({ status: 200, body: 'GET /old ', headers: { connection: 'close' } });
      await old.closed;
      const kept = await Raw.open(port);
      kept.send('GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n');
      expect((await kept.answer()).headers['connection']).toBe('keep-alive');
      expect((await kept.answer()).headers['connection']).toBe('close');
      await kept.closed;
    });

    it('answers pipelined requests in order, even when an earlier answer comes later', async () => {
      const { port } = await start();
      const c = await Raw.open(port);
      c.send(GET('/wait/60') + `POST /wait/1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n` + GET('/now') + GET('/wait/20'));
      const bodies = [];
      for (let i = 0; i < 4; i++) bodies.push((await c.answer()).body);
      expect(bodies).toEqual(['GET /wait/60 ', 'POST /wait/1 ab', 'GET /now ', 'GET /wait/20 ']);
      c.socket.destroy();
    });

    it('answers HEAD with the fields and no body, and reads on correctly after it', async () => {
      const { port } = await start();
      const c = await Raw.open(port);
      c.send(`HEAD /h HTTP/1.1\r\nHost: h\r\n\r\n${GET('/after')}`);
      const head = await c.answer(true);
      expect(head.headers['content-length']).toBe('8');
      expect((await c.answer()).body).toBe('GET /after ');
      c.socket.destroy();
    });
  });

  describe('expectations and limits', () => {
    it('sends 100 Continue before reading the body, and 417 for other expectations', async () => {
      const { port } = await start();
      const c = await Raw.open(port);
      c.send('PUT /c HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n');
      expect((await c.answer()).status).toBe(100);
      c.send('body');
      expect((await c.answer()).body).toBe('PUT /c body');
      c.send('PUT /d HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: teapot\r\n\r\n');
      expect(await c.answer()).toMatchObject({ status: 417, headers: { connection: 'close' } });
      await c.closed;
    });

    it('answers an oversized body without reading it (no 100 Continue), then closes', async () => {
      const { port } = await start();
      const c = await Raw.open(port);
      c.send('PUT /big HTTP/1.1\r\nHost: h\r\nContent-Length: 65\r\nExpect: 100-continue\r\n\r\n');
      expect(await c.answer()).toMatchObject({ status: 413, body: 'too large', headers: { connection: 'close' } });
      await c.closed;
      const chunked = await Raw.open(port);
      chunked.send(`POST /big HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n${'x'.repeat(64)}\r\n1\r\n`);
      expect((await chunked.answer()).status).toBe(413);
      await chunked.closed;
    });

    it('refuses a malformed request with a plain 400 and Connection: close, after answering the good ones', async () => {
      const { port, server } = await start();
      const c = await Raw.open(port);
      c.send(`${GET('/ok')}GET /bad HTTP/1.1\r\nHost: h\r\nX : y\r\n\r\n${GET('/never')}`);
      expect((await c.answer()).body).toBe('GET /ok ');
      expect(await c.answer()).toMatchObject({ status: 400, body: '', headers: { connection: 'close', 'content-length': '0' } });
      await c.closed;
      expect(c.rest()).toBe('');
      for (const [bytes, status] of [
        [`GET /${'a'.repeat(300)} HTTP/1.1\r\n`, 414],
        [`GET / HTTP/1.1\r\nHost: h\r\nX: ${'a'.repeat(300)}\r\n\r\n`, 431],
        ['GET / HTTP/2.0\r\nHost: h\r\n\r\n', 505],
        ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n', 501],
        ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
      ] as const) {
        const small = new Http1Server(echo, { maxHeadBytes: 128, transport });
        servers.push(small);
        const r = await Raw.open((await small.listen(0)).port);
        r.send(bytes);
        expect((await r.answer()).status, bytes.slice(0, 30)).toBe(status);
        await r.closed;
      }
      expect(server.connectionCount).toBe(0);
    });
  });

  describe('timeouts', () => {
    it('closes an idle keep-alive connection after keepAliveTimeoutMs', async () => {
      const { port, server } = await start({ keepAliveTimeoutMs: 50 });
      const c = await Raw.open(port);
      c.send(GET('/a'));
      await c.answer();
      await c.closed;
      expect(c.rest()).toBe('');
      while (server.connectionCount > 0) await new Promise((r) => setTimeout(r, 5));
    });

    it('answers 408 when a head or a body does not arrive in time', async () => {
      const { port } = await start({ headersTimeoutMs: 60, requestTimeoutMs: 60 });
      const head = await Raw.open(port);
      head.send('GET /slow HTTP/1.1\r\nHost: h\r\n');
      expect(await head.answer()).toMatchObject({ status: 408, headers: { connection: 'close' } });
      await head.closed;
      const body = await Raw.open(port);
      body.send('POST /slow HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc');
      expect((await body.answer()).status).toBe(408);
      await body.closed;
      // A connection that never sends anything is closed without an answer.
      const silent = await Raw.open(port);
      await silent.closed;
      expect(silent.rest()).toBe('');
    });
  });

  describe('graceful close', () => {
    it('ends idle connections at once, lets a busy one finish with Connection: close, then refuses', async () => {
      const { port, server } = await start();
      const idle = await Raw.open(port);
      idle.send(GET('/a'));
      await idle.answer();
      const busy = await Raw.open(port);
      busy.send(GET('/wait/80') + GET('/dropped'));
      const uploading = await Raw.open(port);
      uploading.send('POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n');
      // The server is reading the body once it says 100 Continue; busy, once its handler ran.
      expect((await uploading.answer()).status).toBe(100);
      uploading.send('ab');
      while (!handled.has('/wait/80')) await new Promise((r) => setTimeout(r, 5));
      const closing = server.close();
      await idle.closed;
      uploading.send('cd');
      expect(await uploading.answer()).toMatchObject({ status: 200, body: 'POST /up abcd', headers: { connection: 'close' } });
      expect(await busy.answer()).toMatchObject({ status: 200, body: 'GET /wait/80 ', headers: { connection: 'close' } });
      await closing;
      await busy.closed;
      expect(busy.rest()).toBe('');
      expect(server.connectionCount).toBe(0);
      await expect(server.listen(0)).rejects.toMatchObject({ code: 'ERR_HTTP1_SERVER_CLOSED' });
      await expect(Raw.open(port).then((r) => r.closed)).rejects.toThrow();
      expect(server.close()).toBe(closing);
    });

    it('does not listen when closed while its host name was being looked up', async () => {
      const server = new Http1Server(echo, { transport });
      const listening = server.listen(0, 'localhost');
      await server.close();
      await expect(listening).rejects.toMatchObject({ code: 'ERR_HTTP1_SERVER_CLOSED' });
      expect(server.address()).toBeUndefined();
    });

    it('closes with await using', async () => {
      let port = 0;
      {
        await using server = new Http1Server(echo, { transport });
        port = (await server.listen(0)).port;
        expect(server.address()?.port).toBe(port);
      }
      await expect(Raw.open(port)).rejects.toThrow();
    });
  });

  describe('the application side', () => {
    it('calls sent once the answer is written, refuses a second answer and bad fields, and answers 500 for a throwing handler', async () => {
      const seen: unknown[] = [];
      let sent = 0;
      const { port } = await start({}, (ex) => {
        if (ex.target === '/throw') throw new Error('boom');
        try {
          ex.respond(200, ['x-bad', 'a\r\nInjected: 1']);
        } catch (e) {
          seen.push(e);
        }
        try {
          ex.respond(200, ['Content-Length', '5']);
        } catch (e) {
          seen.push(e);
        }
        ex.respond(200, [], Buffer.from('ok'), () => sent++);
        try {
          ex.respond(200, []);
        } catch (e) {
          seen.push(e);
        }
      });
      const c = await Raw.open(port);
      c.send(GET('/x'));
      expect((await c.answer()).body).toBe('ok');
      expect(seen.map((e) => (e as Http1AnswerError).code)).toEqual(['ERR_HTTP1_INVALID_HEADER', 'ERR_HTTP1_INVALID_HEADER', 'ERR_HTTP1_ALREADY_ANSWERED']);
      expect(seen.every((e) => e instanceof Http1AnswerError)).toBe(true);
      while (sent === 0) await new Promise((r) => setTimeout(r, 5));
      expect(sent).toBe(1);
      c.send(GET('/throw'));
      expect(await c.answer()).toMatchObject({ status: 500, headers: { connection: 'close' } });
      await c.closed;
    });

    it('survives clients that vanish mid-request and mid-answer', async () => {
      const { port, server } = await start({}, (ex) => setTimeout(() => ex.respond(200, [], 'late'), 30));
      const a = await Raw.open(port);
      a.send('POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nab');
      a.socket.destroy();
      const b = await Raw.open(port);
      b.send(GET('/x'));
      b.socket.destroy();
      const c = await Raw.open(port);
      c.send(GET('/y'));
      expect((await c.answer()).body).toBe('late');
      c.socket.destroy();
      while (server.connectionCount > 0) await new Promise((r) => setTimeout(r, 5));
    });

    it('takes the next pipelined request only once a large answer has drained (backpressure)', async () => {
      // More than the loopback socket buffers hold, so the write cannot complete at once.
      const big = Buffer.alloc(32 * 1024 * 1024, 'b');
      let bigSent = false;
      let sentBeforeNext: boolean | undefined;
      const { port } = await start({}, (ex) => {
        if (ex.target === '/big') ex.respond(200, [], big, () => (bigSent = true));
        else {
          sentBeforeNext = bigSent;
          ex.respond(200, [], 'next');
        }
      });
      const c = await Raw.open(port);
      c.send(GET('/big') + GET('/next'));
      expect((await c.answer()).body.length).toBe(big.length);
      expect((await c.answer()).body).toBe('next');
      expect(sentBeforeNext).toBe(true);
      c.socket.destroy();
    });

    it('answers a client that half-closes after its requests, then closes', async () => {
      const { port } = await start();
      const c = await Raw.open(port);
      c.socket.end(GET('/wait/20') + GET('/half'));
      expect((await c.answer()).body).toBe('GET /wait/20 ');
      expect((await c.answer()).body).toBe('GET /half ');
      await c.closed;
    });

    it('reports a port in use as ERR_HTTP1_LISTEN', async () => {
      const { port } = await start();
      const second = new Http1Server(echo, { transport });
      servers.push(second);
      const error = await second.listen(port).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Http1ServerError);
      expect(error).toMatchObject({ code: 'ERR_HTTP1_LISTEN' });
    });
  });
});
