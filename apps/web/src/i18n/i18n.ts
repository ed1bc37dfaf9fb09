/**
 * The one i18n layer of the web UI: i18next with the zh-CN and en catalogues bundled (no
 * fetch: a nurse station must render its words the moment it loads), the language chosen from
 * `?lang=`, the user's stored choice or the browser, `<html lang>` kept in step, and dates,
 * times and numbers through `Intl` in the user's language and the SITE's time zone (GET
 * /api/site `timeZone`; a nurse's tablet may be set to any zone, the ward's clock is the
 * hospital's). Times are 24-hour in both languages (zh-CN, and en-GB style for English).
 *
 * Plurals use i18next's own rules (Intl.PluralRules: `_one`/`_other`; Chinese has one form),
 * not ICU: one dependency, and the catalogues stay plain JSON a translator can edit.
 */
import i18next from 'i18next';
import { useEffect, useState } from 'preact/hooks';
import alarmsEn from './alarms.en.json';
import alarmsZh from './alarms.zh-CN.json';
import en from './ui.en.json';
import zh from './ui.zh-CN.json';

export type Language = 'zh-CN' | 'en';
export const LANGUAGES: readonly { code: Language; label: string }[] = [
  { code: 'zh-CN', label: '中文' },
  { code: 'en', label: 'English' },
];
const STORED = 'medloop.lang';
/** The hospitals run in Guangzhou: the zone until GET /api/site says otherwise. */
const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

const isLanguage = (v: unknown): v is Language => v === 'zh-CN' || v === 'en';

/** `zh`, `zh-CN`, `zh-Hans-…` → zh-CN; anything else → en. */
export function languageOf(tag: string | null | undefined): Language | null {
  if (!tag) return null;
  if (/^zh\b/i.test(tag)) return 'zh-CN';
  if (/^en\b/i.test(tag)) return 'en';
  return null;
}

/** `?lang=` (remembered, so browser tests and a shared link can force one), then the stored choice, then the browser. */
function detect(): Language {
  const fromQuery = languageOf(new URLSearchParams(location.search).get('lang'));
  if (fromQuery) {
    remember(fromQuery);
    return fromQuery;
  }
  const stored = safeStorage()?.getItem(STORED);
  if (isLanguage(stored)) return stored;
  for (const tag of navigator.languages ?? [navigator.language]) {
    if (/^zh\b/i.test(tag)) return 'zh-CN';
  }
  return 'en';
}

function safeStorage(): Storage | null {
  try {
    return localStorage;
  } catch {
    return null; // storage blocked: the browser's language each time
  }
}

function remember(lng: Language): void {
  safeStorage()?.setItem(STORED, lng);
}

let timeZone = DEFAULT_TIME_ZONE;

/** Intl locale of a language: English as en-GB (24-hour clock, day before month). */
const intlLocale = (lng: string | undefined) => (lng === 'zh-CN' ? 'zh-CN' : 'en-GB');

void i18next.init({
  resources: { en: { translation: en, alarm: alarmsEn }, 'zh-CN': { translation: zh, alarm: alarmsZh } },
  lng: detect(),
  fallbackLng: 'en',
  supportedLngs: ['zh-CN', 'en'],
  ns: ['translation', 'alarm'],
  defaultNS: 'translation',
  initAsync: false,
  // flat keys (`header.signOut`, `robot.fatal_error.title`): alarm types contain dots
  keySeparator: false,
  nsSeparator: false,
  returnNull: false,
  // Preact escapes text itself; i18next escaping would show &lt; in drug names
  interpolation: { escapeValue: false },
});

function applyHtmlLang(lng: string): void {
  document.documentElement.lang = lng;
}
applyHtmlLang(i18next.language);
i18next.on('languageChanged', applyHtmlLang);

export const t = i18next.t.bind(i18next);

/** Whether a catalogue has a key (the alarm renderer falls back to the server's words when not). */
export const hasKey = (key: string, ns = 'translation') => i18next.exists(key, { ns });

export function language(): Language {
  return isLanguage(i18next.language) ? i18next.language : 'en';
}

export function setLanguage(lng: Language): void {
  remember(lng);
  void i18next.changeLanguage(lng);
}

/** The site's zone (from GET /api/site): every time shown from now on is in it. */
export function setSiteTimeZone(tz: string | undefined): void {
  if (!tz || tz === timeZone) return;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    return; // an unknown zone: keep the default rather than throw in every render
  }
  timeZone = tz;
  void i18next.emit('languageChanged', i18next.language);
}

/** Re-renders the caller when the language (or the site's zone) changes; the root uses it. */
export function useLanguage(): Language {
  // a counter, not the language: a zone change emits languageChanged with the same language
  const [, setN] = useState(0);
  useEffect(() => {
    const on = () => setN((n) => n + 1);
    i18next.on('languageChanged', on);
    return () => i18next.off('languageChanged', on);
  }, []);
  return language();
}

const valid = (iso: string | null | undefined): Date | null => {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
};

/** 20:04:05 in the site's zone. */
export function formatClock(iso: string | null | undefined, lng = i18next.language): string {
  const d = valid(iso);
  if (!d) return iso ? String(iso) : '—';
  return new Intl.DateTimeFormat(intlLocale(lng), { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(d);
}

/** 20:04 in the site's zone. */
export function formatTime(iso: string | null | undefined, lng = i18next.language): string {
  const d = valid(iso);
  if (!d) return iso ? String(iso) : '—';
  return new Intl.DateTimeFormat(intlLocale(lng), { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
}

/** 3 Dec 20:04 / 12月3日 20:04 in the site's zone. */
export function formatDateTime(iso: string | null | undefined, lng = i18next.language): string {
  const d = valid(iso);
  if (!d) return iso ? String(iso) : '—';
  return new Intl.DateTimeFormat(intlLocale(lng), { timeZone, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
}

/** The time alone when it is today at the site, else with the date. */
export function formatWhen(iso: string | null | undefined, lng = i18next.language): string {
  const d = valid(iso);
  if (!d) return '—';
  const day = (x: Date) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(x);
  return day(d) === day(new Date()) ? formatTime(iso, lng) : formatDateTime(iso, lng);
}

/** A number rounded to at most `decimals` (10.700000000000001 → 10.7), grouped as the language does. */
export function formatNumber(v: number, decimals = 1, lng = i18next.language): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return String(v);
  return new Intl.NumberFormat(intlLocale(lng), { maximumFractionDigits: decimals }).format(v);
}

/** `35 s` / `4 min`, as the server's catalogue words a duration. */
export function formatDuration(seconds: number): string {
  return seconds < 90 ? t('unit.seconds', { n: Math.round(seconds) }) : t('unit.minutes', { n: Math.round(seconds / 60) });
}
