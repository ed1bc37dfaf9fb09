/**
 * Routes device messages that passed the ACL to the feature that owns their topic family,
 * after parsing them at the edge. A payload a feature reads must be a JSON object; a feature
 * may add a schema and a size limit. Anything malformed is rejected with a specific reason and
 * never applied. A payload is parsed once, here: checks and handlers get the parsed value, and
 * one over its family's size limit is refused before it is parsed at all.
 * An integration's message outside MedLoop's topic spaces is opaque: carried unread (see ingest).
 * Features register handlers at module init (robots, cabinets, sensors…).
 */
import { Injectable } from '@nestjs/common';
import type { IngestMessage, IngestResult } from '#broker';

export type PayloadCheck<T> = (payload: unknown) => { ok: true; value: T } | { ok: false; errors: { path: string; message: string }[] };

export interface IngressHandler<T = unknown> {
  /** payloads larger than this are refused unread (`too_large`); omit for the broker's packet cap */
  maxBytes?: number;
  /** validates the parsed JSON; omit to accept any JSON object */
  check?: PayloadCheck<T>;
  /** applies the message; a thrown DomainError becomes a rejection, returned errors too */
  handle(msg: IngestMessage, value: T): void | IngestResult | Promise<void | IngestResult>;
  /** told when `maxBytes` or `check` refused a message (e.g. to count rejections per device) */
  onRejected?(msg: IngestMessage, reason: string): void;
}

const OK: IngestResult = { ok: true };

@Injectable()
export class IngressRouter {
  private readonly handlers = new Map<string, IngressHandler<unknown>[]>();

  /** Registers a handler for a topic family (see topicFamily in libs/contracts). */
  on<T>(family: string, handler: IngressHandler<T>): void {
    const list = this.handlers.get(family) ?? [];
    list.push(handler as IngressHandler<unknown>);
    this.handlers.set(family, list);
  }

  ingest(msg: IngestMessage): IngestResult | Promise<IngestResult> {
    // an empty retained payload clears a retained message (MQTT-3.3.1-10): nothing to parse
    if (msg.payload.length === 0 && msg.retain) return OK;
    const handlers = this.handlers.get(msg.family);
    // Outside MedLoop's topic spaces (family 'other': neither medloop/v1/… nor a VDA 5050
    // topic) no MedLoop feature or device reads the payload: for an integration (a hospital's
    // own systems talking to each other through MedLoop, under its explicit ACL) the broker is
    // just a broker, and bytes, text or an empty message go through as published. Inside them
    // JSON stays the rule even where MedLoop itself has no handler (robots' order and
    // instantActions, devices' command and rejection topics, a nurse station's channels): a
    // robot, cabinet or station reads those, and a bridge allowed `#` must not be able to
    // put what no device can parse on them. Devices keep the rule everywhere: they publish
    // only on their own protocol's channels, whose every message is a JSON object.
    if (!handlers && msg.family === 'other' && msg.session.principal.type === 'integration') return OK;
    for (const h of handlers ?? []) {
      if (h.maxBytes !== undefined && msg.payload.length > h.maxBytes) {
        h.onRejected?.(msg, 'too_large');
        return { ok: false, reason: 'too_large', errors: [{ path: '', message: `payload is ${msg.payload.length} bytes, the limit is ${h.maxBytes}` }] };
      }
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(msg.payload.toString('utf8'));
    } catch (err) {
      return { ok: false, reason: 'invalid_json', errors: [{ path: '', message: `payload is not valid JSON: ${(err as Error).message}` }] };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return { ok: false, reason: 'invalid_payload', errors: [{ path: '', message: 'payload must be a JSON object' }] };
    }
    if (!handlers) return OK;
    let pending: Promise<void | IngestResult>[] | undefined;
    for (const h of handlers) {
      let value: unknown = parsed;
      if (h.check) {
        const r = h.check(parsed);
        if (!r.ok) {
          h.onRejected?.(msg, 'schema');
          return { ok: false, reason: 'schema', errors: r.errors };
        }
        value = r.value;
      }
      const out = h.handle(msg, value);
      if (out instanceof Promise) (pending ??= []).push(out);
      else if (out && !out.ok) return out;
    }
    if (!pending) return OK;
    return Promise.all(pending).then((results) => results.find((r): r is Exclude<IngestResult, { ok: true }> => !!r && !r.ok) ?? OK);
  }
}
