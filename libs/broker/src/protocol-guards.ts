/**
 * MQTT 3.1.1 rules that mqtt-packet 9 / aedes 1.2 do not enforce, closed at the parser that
 * aedes gives each client (the hooks never see these packets). Each is covered by the
 * conformance suite, which runs the same cases against Mosquitto.
 */
interface GuardedParser {
  packet: { cmd?: string; subscriptions?: unknown[]; unsubscriptions?: unknown[] };
  error: Error | null;
  _parseSubscribe(): unknown;
  _parseUnsubscribe(): unknown;
  _emitError(err: Error): void;
}

/** CONNACK with return code 0x01 (unacceptable protocol level). */
const CONNACK_BAD_PROTOCOL = Buffer.from([0x20, 0x02, 0x00, 0x01]);

export function guardProtocol(parser: GuardedParser, conn: { write(b: Buffer): unknown }): void {
  for (const [method, field, rule] of [
    ['_parseSubscribe', 'subscriptions', 'MQTT-3.8.3-3'],
    ['_parseUnsubscribe', 'unsubscriptions', 'MQTT-3.10.3-2'],
  ] as const) {
    const original = parser[method];
    if (typeof original !== 'function') throw new Error(`mqtt-packet parser layout changed: ${method} missing`);
    // SUBSCRIBE and UNSUBSCRIBE must carry at least one topic filter
    parser[method] = function (this: GuardedParser) {
      const r = original.call(this);
      if (!this.error && (this.packet[field]?.length ?? 0) === 0)
        this._emitError(new Error(`${this.packet.cmd?.toUpperCase()} without a topic filter [${rule}]`));
      return r;
    };
  }
  // MQTT-3.1.2-2: an unsupported protocol level gets CONNACK 0x01 before the close; it must be
  // written before the error is emitted, because the error destroys the socket at once
  const emitError = parser._emitError;
  parser._emitError = function (this: GuardedParser, err: Error) {
    if (this.packet.cmd === 'connect' && err.message === 'Invalid protocol version') conn.write(CONNACK_BAD_PROTOCOL);
    emitError.call(this, err);
  };
}
