/**
 * The web UI words alarms itself, in the user's language, from each alarm's type and
 * parameters (apps/web/src/i18n/alarm-text.ts over alarms.<lang>.json). This spec holds those
 * client catalogues to the server's: every alarm type the server can raise has a title and a
 * message in zh-CN and in en, and a translation names only parameters its English line has.
 * The web bundle cannot be imported here (browser code), so the spec reads its JSON files.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { ALARM_TYPES } from '#domain';

const dir = 'apps/web/src/i18n';
const load = (lng: string) => JSON.parse(readFileSync(`${dir}/alarms.${lng}.json`, 'utf8')) as Record<string, string>;
const catalogues = { en: load('en'), 'zh-CN': load('zh-CN') };
/** `title`, or a variant of it: an i18next context (`title_refusal`) or plural form (`title_one`) */
const has = (c: Record<string, string>, type: string, part: 'title' | 'message') =>
  Object.keys(c).some((k) => k === `${type}.${part}` || k.startsWith(`${type}.${part}_`));
const vars = (s: string) => new Set([...s.matchAll(/\{\{\s*(\w+)/g)].map((m) => m[1]));

describe('client alarm catalogues (web UI)', () => {
  it.each(Object.keys(catalogues))('%s has a title and a message for every alarm type of the server catalogue', (lng) => {
    const c = catalogues[lng as keyof typeof catalogues];
    const missing = ALARM_TYPES.flatMap((type) => (['title', 'message'] as const).filter((p) => !has(c, type, p)).map((p) => `${type}.${p}`));
    expect(missing).toEqual([]);
  });

  it('has no entry for a type the server does not know (a renamed type would silently fall back)', () => {
    for (const c of Object.values(catalogues)) {
      const stray = Object.keys(c)
        .filter((k) => !k.startsWith('_'))
        .map((k) => k.replace(/\.(title|message|_\w+)(_\w+)?$/, ''))
        .filter((type) => !(ALARM_TYPES as string[]).includes(type));
      expect([...new Set(stray)]).toEqual([]);
    }
  });

  it('zh-CN names only the parameters the English line names', () => {
    const en = catalogues.en;
    const zh = catalogues['zh-CN'];
    for (const [key, text] of Object.entries(zh)) {
      // Chinese has one plural form: zh `_other` stands for en `_one` and `_other`
      const english = en[key] ?? en[key.replace(/_other$/, '')] ?? en[key.replace(/_other$/, '_one')];
      expect({ key, english: english !== undefined }).toEqual({ key, english: true });
      const extra = [...vars(text)].filter((v) => !vars(english!).has(v) && !(v === 'count' && key.endsWith('_other')));
      expect({ key, extra }).toEqual({ key, extra: [] });
    }
  });
});
