/**
 * Expiry of a medicine pack. GS1 semantics: the product is usable through the whole of its
 * expiry date and expired from the following day. "Today" is the ward's calendar date, not
 * UTC's, or a night-shift scan could block a pack that is still in date locally.
 */
import { RuleViolationError, ValidationError } from '../errors.js';

export type ExpiryStatus = 'valid' | 'expires_today' | 'expired';

export interface ExpiryCheck {
  readonly status: ExpiryStatus;
  readonly usable: boolean;
  /** The expiry date checked, 'YYYY-MM-DD'. */
  readonly expiry: string;
  /** The calendar date of `now` in the ward's time zone, 'YYYY-MM-DD'. */
  readonly today: string;
  /** Whole days from today to the expiry date; 0 on the expiry date, negative once expired. */
  readonly daysRemaining: number;
  readonly reason: string;
}

export interface ExpiryOptions {
  /** IANA time zone of the ward, e.g. 'Europe/Paris'. Defaults to UTC. */
  readonly timeZone?: string;
}

const DAY = 86_400_000;

export function checkExpiry(expiry: string, now: Date, options: ExpiryOptions = {}): ExpiryCheck {
  const expiryDay = parseIsoDate(expiry);
  const today = calendarDate(now, options.timeZone ?? 'UTC');
  const daysRemaining = Math.round((expiryDay - parseIsoDate(today)) / DAY);
  if (daysRemaining < 0) {
    const ago = -daysRemaining;
    return {
      status: 'expired',
      usable: false,
      expiry,
      today,
      daysRemaining,
      reason: `expired on ${expiry} (${ago} day${ago === 1 ? '' : 's'} ago)`,
    };
  }
  if (daysRemaining === 0) {
    return {
      status: 'expires_today',
      usable: true,
      expiry,
      today,
      daysRemaining,
      reason: `usable until the end of today (${expiry})`,
    };
  }
  return {
    status: 'valid',
    usable: true,
    expiry,
    today,
    daysRemaining,
    reason: `in date until ${expiry} (${daysRemaining} day${daysRemaining === 1 ? '' : 's'} left)`,
  };
}

/** Blocks picking, loading or administering expired stock: RuleViolationError `product_expired`. */
export function assertNotExpired(expiry: string, now: Date, options: ExpiryOptions = {}): ExpiryCheck {
  const check = checkExpiry(expiry, now, options);
  if (!check.usable) {
    throw new RuleViolationError(`the product ${check.reason}`, 'product_expired', {
      expiry,
      today: check.today,
      daysRemaining: check.daysRemaining,
    });
  }
  return check;
}

function parseIsoDate(value: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const time = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : NaN;
  // Date.UTC rolls 2025-02-30 over into March; reject it instead of silently moving the date.
  if (!match || new Date(time).toISOString().slice(0, 10) !== value) {
    throw new ValidationError(`expiry '${value}' is not a calendar date in the form YYYY-MM-DD`, 'expiry');
  }
  return time;
}

function calendarDate(now: Date, timeZone: string): string {
  if (Number.isNaN(now.getTime())) throw new ValidationError('now is not a valid date', 'now');
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).formatToParts(now);
  } catch {
    throw new ValidationError(`unknown time zone '${timeZone}'`, 'timeZone');
  }
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}
