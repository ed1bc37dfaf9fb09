/**
 * A transport-level cap on MQTT packet size. aedes buffers a packet until its declared
 * remaining length has arrived, so a client announcing 256 MB could hold that much memory;
 * this checks the declared length as soon as the fixed header is parsed and drops the
 * connection before the body is buffered. It wraps the mqtt-packet parser aedes gives each
 * client (mqtt-packet 9.x `_parseLength`), covered by the broker's oversize-packet tests.
 */
interface MqttPacketParser {
  packet: { length: number };
  _parseLength(): boolean;
  _emitError(err: Error): void;
}

export class PacketTooLargeError extends Error {
  constructor(
    readonly declared: number,
    readonly limit: number,
  ) {
    super(`packet of ${declared} bytes exceeds the maximum of ${limit} bytes`);
    this.name = 'PacketTooLargeError';
  }
}

export function limitPacketSize(parser: MqttPacketParser, maxBytes: number, onTooLarge: (err: PacketTooLargeError) => void): void {
  const parseLength = parser._parseLength;
  if (typeof parseLength !== 'function') throw new Error('mqtt-packet parser layout changed: _parseLength missing');
  parser._parseLength = function limitedParseLength(this: MqttPacketParser): boolean {
    const done = parseLength.call(this);
    if (done && this.packet.length > maxBytes) {
      const err = new PacketTooLargeError(this.packet.length, maxBytes);
      onTooLarge(err);
      this._emitError(err);
      return false;
    }
    return done;
  };
}
