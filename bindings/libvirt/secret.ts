import { randomUUID } from 'node:crypto';
import { SecretUsage } from './constants.js';
import { escapeText } from './domain-xml/xml.js';
import { HandleBase, type Liveness } from './handle.js';
import type { NativeSecret } from './native.js';

/** A libvirt secret (virSecretPtr). Its value never appears in messages or logs. */
export class Secret extends HandleBase<NativeSecret> {
  readonly uuid: string;
  readonly usageType: number;
  readonly usageId: string | null;

  /** @internal */
  constructor(native: NativeSecret, connection: Liveness) {
    super(native, connection, 'secret');
    this.uuid = native.uuid;
    this.usageType = native.usageType;
    this.usageId = native.usageId;
  }

  xml(): Promise<string> {
    return this.run('xml', (n) => n.getXMLDesc());
  }
  /** Stores the value (libvirt keeps it; a private secret cannot be read back). */
  setValue(value: Buffer | string): Promise<void> {
    const buf = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    return this.run('setValue', (n) => n.setValue(buf));
  }
  value(): Promise<Buffer> {
    return this.run('value', (n) => n.getValue());
  }
  undefine(): Promise<void> {
    return this.run('undefine', (n) => n.undefine());
  }
}

/** XML for a Ceph client secret: usage name e.g. "client.cinder secret". */
export function cephSecretXml(usageName: string, options: { uuid?: string; private?: boolean; ephemeral?: boolean } = {}): string {
  const uuid = options.uuid ?? randomUUID();
  return (
    `<secret ephemeral="${options.ephemeral === true ? 'yes' : 'no'}" private="${options.private === false ? 'no' : 'yes'}">` +
    `<uuid>${escapeText(uuid)}</uuid><usage type="ceph"><name>${escapeText(usageName)}</name></usage></secret>`
  );
}

export { SecretUsage };

/** Minimal shape used by registerCephKey, so it can take a Connection without a cycle. */
export interface SecretHost {
  defineSecret(xml: string): Promise<Secret>;
  secretByUsage(type: number, usageId: string): Promise<Secret>;
}

/**
 * Registers a Ceph client key (the base64 `key =` value of a keyring) as a private libvirt secret
 * with usage `client.<user> secret`, re-using an existing secret of that usage, and returns it.
 * The key is passed as the raw bytes libvirt expects for ceph secrets (the base64 text decoded).
 */
export async function registerCephKey(conn: SecretHost, user: string, base64Key: string, options: { uuid?: string } = {}): Promise<Secret> {
  const usage = `client.${user} secret`;
  let secret: Secret;
  try {
    secret = await conn.secretByUsage(SecretUsage.CEPH, usage);
  } catch {
    secret = await conn.defineSecret(cephSecretXml(usage, options));
  }
  await secret.setValue(Buffer.from(base64Key, 'base64'));
  return secret;
}
