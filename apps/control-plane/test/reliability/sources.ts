/**
 * Clients that come from a chosen source address: the loopback network is a /8, so binding
 * 127.0.0.x makes each a distinct source to the server (an attacker's address, a nurse's
 * terminal), over HTTP and MQTT alike.
 */
import { request as httpRequest } from 'node:http';
import { createConnection } from 'node:net';
import mqtt, { MqttClient, type IClientOptions } from 'mqtt';
import type { TestApp } from '../support/test-app.js';

export type Answer = { status: number; body: any };

/** One JSON request to the app from a chosen local (source) address. */
export function httpFrom(t: TestApp, localAddress: string, method: string, path: string, body?: unknown, token?: string): Promise<Answer> {
  const url = new URL(path, t.baseUrl);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method,
        localAddress,
        headers: {
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} from ${localAddress} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * An MQTT CONNECT from a chosen local address, over TCP or (`ws`) MQTT over WebSocket: 0 when
 * accepted (then closed), else the CONNACK code.
 */
export function connectFrom(t: TestApp, localAddress: string, opts: IClientOptions, via: 'tcp' | 'ws' = 'tcp'): Promise<number> {
  return new Promise((resolve, reject) => {
    const base: IClientOptions = { reconnectPeriod: 0, connectTimeout: 15_000, protocolVersion: 4, ...opts };
    const client =
      via === 'ws'
        ? mqtt.connect(t.mqttWsUrl!, { ...base, wsOptions: { localAddress } })
        : new MqttClient(() => createConnection({ host: '127.0.0.1', port: Number(new URL(t.mqttUrl).port), localAddress }), base);
    client.once('connect', () => {
      client.end(true);
      resolve(0);
    });
    client.once('error', (err: Error & { code?: number }) => {
      client.end(true);
      if (typeof err.code === 'number') resolve(err.code);
      else reject(err);
    });
    client.once('close', () => reject(new Error('connection closed before CONNACK')));
  });
}

/** Runs `n` tasks with at most `width` in flight; resolves with their results in order. */
export async function bounded<T>(n: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array<T>(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      for (let i = next++; i < n; i = next++) out[i] = await task(i);
    }),
  );
  return out;
}
