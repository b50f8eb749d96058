/**
 * What a connection needs of its socket, and what the socket tells it. Two transports provide it:
 * node:net (net-wire.ts) and the native socket pump (pump-wire.ts), so the HTTP/1.1 logic
 * (connection.ts) is written once.
 */
export interface Wire {
  readonly remoteAddress: string | undefined;
  /** destroy() was called, or the socket is closed. */
  readonly destroyed: boolean;
  /** Where the socket's events go; called once, by the connection, before any can come. */
  attach(listener: WireListener): void;
  /**
   * Queues one answer: `head` (Latin-1) then `body` (a string is UTF-8), sent together. False when
   * the queue is at or over its high-water mark: onDrain follows once it empties. `sent` runs once
   * the answer has been handed to the kernel (a lent body buffer may then be reused), not when the
   * socket died first.
   */
  send(head: string, body: string | Buffer | undefined, sent?: () => void): boolean;
  /** Ends our side once what is queued has gone; input is still delivered until the peer's end. */
  end(): void;
  destroy(): void;
  pause(): void;
  resume(): void;
}

export interface WireListener {
  onData(chunk: Buffer): void;
  /** The peer will send nothing more. */
  onEnd(): void;
  /** The queue that made send() return false has emptied. */
  onDrain(): void;
  onError(err: Error): void;
  /** The socket is gone; nothing follows. */
  onClose(): void;
}
