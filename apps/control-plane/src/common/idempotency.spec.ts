import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { RequestMethod } from '@nestjs/common';
import { honoursIdempotencyKey } from '#contracts';
import { parseIdempotencyKey, requestFingerprint } from './idempotency.js';

const SRC = join(process.cwd(), 'apps/control-plane/src');
const controllerFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? controllerFiles(join(dir, e.name)) : e.name.endsWith('.controller.ts') ? [join(dir, e.name)] : [],
  );

describe('Idempotency-Key header', () => {
  it('takes an sf-string or a bare token of printable ASCII, and names the header when it is not one', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toBe('8e03978e-40d5-43e8-bc93-6894a57f9324');
    expect(parseIdempotencyKey('abc')).toBe('abc');
    for (const bad of ['', '""', 'two words', 'x'.repeat(256), 'caf\u00e9', ['a', 'b']])
      expect(() => parseIdempotencyKey(bad as string)).toThrow(expect.objectContaining({ code: 'validation_failed', field: 'Idempotency-Key' }));
  });

  it('binds a key to the request: another body or path is another fingerprint; key order in the body is not', () => {
    const a = requestFingerprint('POST', '/api/orders', { a: 1, b: [1, 2] });
    expect(requestFingerprint('POST', '/api/orders', { b: [1, 2], a: 1 })).toBe(a);
    expect(requestFingerprint('POST', '/api/orders', { a: 2, b: [1, 2] })).not.toBe(a);
    expect(requestFingerprint('POST', '/api/orders/x/verify', { a: 1, b: [1, 2] })).not.toBe(a);
  });

  it('the clients’ list of routes that honour the key is exactly the server’s @Idempotent POST/PUT routes', async () => {
    const honoured: string[] = [];
    const declared: string[] = [];
    for (const file of controllerFiles(SRC)) {
      const mod = (await import(file)) as Record<string, unknown>;
      for (const cls of Object.values(mod)) {
        if (typeof cls !== 'function' || Reflect.getMetadata('path', cls) === undefined) continue;
        const base = String(Reflect.getMetadata('path', cls));
        const classMarked = Reflect.getMetadata('medloop:idempotent', cls) === true;
        for (const name of Object.getOwnPropertyNames(cls.prototype)) {
          const handler = (cls.prototype as Record<string, unknown>)[name];
          if (typeof handler !== 'function' || Reflect.getMetadata('path', handler) === undefined) continue;
          const method = Reflect.getMetadata('method', handler) as RequestMethod;
          if (method !== RequestMethod.POST && method !== RequestMethod.PUT) continue;
          const verb = method === RequestMethod.POST ? 'POST' : 'PUT';
          const path = `/${[base, String(Reflect.getMetadata('path', handler))].join('/')}`
            .replace(/\/+/g, '/')
            .replace(/\/$/, '')
            .replace(/:[A-Za-z]+/g, 'x1');
          const route = `${verb} ${path} (${relative(SRC, file)})`;
          if (classMarked || Reflect.getMetadata('medloop:idempotent', handler) === true) declared.push(route);
          if (honoursIdempotencyKey(verb, path)) honoured.push(route);
        }
      }
    }
    expect(declared.length).toBeGreaterThan(10);
    // a custody controller without @Idempotent, or a client list that names a route the server ignores the key on
    const nonCustody = declared.filter((r) => !honoured.includes(r));
    expect(nonCustody.filter((r) => !/ \/api\/(medications|patients)/.test(r))).toEqual([]);
    expect(honoured.filter((r) => !declared.includes(r))).toEqual([]);
  });
});
