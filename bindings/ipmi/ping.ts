/** ASF Presence Ping (RMCP class 6): "is there a BMC at host:port?", without credentials. */
import { randomBytes } from 'node:crypto';
import { ASF_PRESENCE_PING, ASF_PRESENCE_PONG, decodeAsf, decodePresencePong, encodeAsf, type PresencePong } from './rmcp.js';
import { DEFAULT_RETRY, UdpTransport, type RetryPolicy } from './transport.js';

export async function presencePing(host: string, port = 623, retry: Partial<RetryPolicy> = {}): Promise<PresencePong> {
  const t = new UdpTransport(host, port);
  const tag = (randomBytes(1)[0] as number) % 0xff;
  try {
    return await t.exchange(
      () => encodeAsf({ type: ASF_PRESENCE_PING, tag, data: Buffer.alloc(0) }),
      (buf) => {
        const m = decodeAsf(buf);
        if (m.type !== ASF_PRESENCE_PONG || m.tag !== tag) return undefined;
        return { value: decodePresencePong(m) };
      },
      { ...DEFAULT_RETRY, ...retry },
      'ASF presence ping',
    );
  } finally {
    t.close();
  }
}
