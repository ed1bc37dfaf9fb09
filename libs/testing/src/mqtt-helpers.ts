/** Real MQTT clients for tests: connect (or expect a refusal), collect messages, wait for events. */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export function connectMqtt(url: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
    client.once('close', () => reject(new Error('connection closed before CONNACK')));
  });
}

/** Resolves with the CONNACK return code of a refused connection. */
export async function connectRefused(url: string, opts: IClientOptions = {}): Promise<number> {
  try {
    const c = await connectMqtt(url, opts);
    await c.endAsync(true);
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (typeof code === 'number') return code;
    throw err;
  }
  throw new Error('connection was accepted');
}

export function waitFor<T>(fn: () => T | undefined | false | null, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      let v: T | undefined | false | null;
      try {
        v = fn();
      } catch (e) {
        return reject(e);
      }
      if (v) return resolve(v);
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

export function waitForAsync<T>(fn: () => Promise<T | undefined | false | null>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      fn().then((v) => {
        if (v) return resolve(v);
        if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
        setTimeout(tick, 50);
      }, reject);
    };
    tick();
  });
}

/** Collects messages on a client: `messages` is appended to as they arrive. */
export function collect(client: MqttClient): { topic: string; payload: Buffer; retain: boolean }[] {
  const messages: { topic: string; payload: Buffer; retain: boolean }[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload, retain: packet.retain }));
  return messages;
}

/** Resolves when the client's connection closes (e.g. the broker dropped it). */
export function closed(client: MqttClient, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!client.connected && (client as unknown as { disconnected?: boolean }).disconnected !== false && client.stream?.destroyed) return resolve();
    const t = setTimeout(() => reject(new Error('connection was not closed')), timeoutMs);
    client.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/**
 * Subscribes and resolves with the SUBACK return codes (mqtt.js rejects as soon as one is
 * 0x80, hiding the others).
 */
export function subscribeCodes(client: MqttClient, filters: string[], qos: 0 | 1 = 0): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const onPacket = (p: { cmd: string }) => {
      if (p.cmd !== 'suback') return;
      client.off('packetreceive', onPacket);
      const granted = (p as { granted?: (number | { qos: number })[] }).granted ?? [];
      resolve(granted.map((g) => (typeof g === 'number' ? g : g.qos)));
    };
    client.on('packetreceive', onPacket);
    client.subscribe(filters, { qos }, () => undefined);
    setTimeout(() => {
      client.off('packetreceive', onPacket);
      reject(new Error('no SUBACK'));
    }, 5000).unref();
  });
}
