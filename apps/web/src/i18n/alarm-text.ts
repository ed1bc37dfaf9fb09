/**
 * An alarm's title and message in the user's language, rendered on the client from its type
 * and parameters (the alarm view's `details`: the catalogue parameters the server raised it
 * with, libs/domain/src/alarms/alarm-catalogue.ts). The words live in alarms.<lang>.json, keyed
 * `<type>.title` / `<type>.message` (with an i18next context for a variant); here each type only
 * turns its parameters into display values: numbers rounded, times in the site's zone, device
 * ids as the names people know, optional parts worded. A type the client catalogue does not
 * know, or an older row without the parameters, shows the server's English text unchanged.
 * apps/control-plane/src/alarms/alarm-client-catalogue.spec.ts holds both catalogues to the
 * server's list of types.
 */
import type { LiveAlarm } from '../../../../libs/contracts/src/live/live.types';
import { formatDateTime, formatDuration, formatNumber, hasKey, t } from './i18n';

type P = Record<string, any>;
/** Device id → the name people know it by (robots' names, sensors' names), when the page has them. */
export type NameOf = (id: string) => string | undefined;
interface Prepared {
  vars: Record<string, unknown>;
  title?: string;
  message?: string;
  count?: number;
}
type Prepare = (p: P, name: NameOf) => Prepared;

const a = (key: string, o: Record<string, unknown> = {}) => t(key, { ns: 'alarm', ...o });
const paren = (text: unknown) => (text === null || text === undefined || text === '' ? '' : a('_paren', { text }));
const colon = (text: unknown) => (text === null || text === undefined || text === '' ? '' : a('_colon', { text }));
const doses = (list: unknown) => a('_doses', { count: Array.isArray(list) ? list.length : Number(list) });
const unknown = (v: unknown) => (v === null || v === undefined || v === '' ? a('_unknown') : String(v));
const short = (id: unknown) => String(id).slice(0, 8);
const time = (iso: unknown) => formatDateTime(String(iso));
const num = (v: unknown, decimals = 1) => (typeof v === 'number' ? formatNumber(v, decimals) : String(v));
const kind = (k: unknown) => a(`_kind.${String(k)}`, { defaultValue: String(k) });
/** Numbers inside free text of the rule engine (`(now 10.700000000000001)`) rounded. */
const roundIn = (text: unknown) => String(text).replace(/-?\d+\.\d{3,}/g, (m) => formatNumber(Number(m), 1));
const stateWord = (s: unknown) => t(`state.${String(s)}`, { defaultValue: String(s).replace(/_/g, ' ') });
const rightWord = (r: string) => t(`right.${r}`, { defaultValue: r });
const robotName = (p: P, name: NameOf) => (p['robotId'] ? (name(p['robotId']) ?? p['robot']) : p['robot']);

const ruleAlarm: Prepare = (p, name) => {
  const device = name(p['deviceId']) ?? p['deviceId'];
  return {
    vars: {
      where: `${device}${p['channel'] ? ` ${p['channel']}` : ''}`,
      whereSlash: `${device}${p['channel'] ? `/${p['channel']}` : ''}`,
      device,
      condition: roundIn(p['condition']),
      at: time(p['at']),
    },
  };
};

/**
 * How late a dose is now: `minutesLate` is how late it was when the alarm was raised, and the
 * alarm is not raised again while it stays open, so the page counts from `scheduledAt` itself
 * (worded afresh at each render: the stations re-render every second).
 */
const lateBy = (p: P): number => {
  const due = Date.parse(String(p['scheduledAt']));
  return Number.isFinite(due) ? Math.max(0, (Date.now() - due) / 1000) : Number(p['minutesLate']) * 60;
};

/** A late or missed dose: the drug, whose, when it was due (site time), how late, the window (± around it). */
const doseSlot: Prepare = (p) => ({
  vars: {
    medication: p['medication'],
    forBed: p['bed'] ? a('_forBed', { bed: p['bed'] }) : '',
    bedParen: p['bed'] ? a('_bedParen', { bed: p['bed'] }) : '',
    patient: p['patient'] ?? a('_aPatient'),
    scheduledAt: time(p['scheduledAt']),
    late: formatDuration(lateBy(p)),
    window: formatDuration(Number(p['windowMinutes']) * 60),
  },
});

const PREPARE: Record<string, Prepare> = {
  'robot.fatal_error': (p, n) => ({ vars: { ...p, robot: robotName(p, n), desc: paren(p['errorDescription']) } }),
  'robot.estop': (p, n) => ({ vars: { ...p, robot: robotName(p, n) } }),
  'robot.offline_mid_mission': (p, n) => ({ vars: { ...p, robot: robotName(p, n) } }),
  'robot.stale': (p, n) => ({ vars: { robot: robotName(p, n), silentFor: formatDuration(p['silentForS']), lastMessageAt: time(p['lastMessageAt']) } }),
  'robot.cannot_charge': (p, n) => ({
    vars: { robot: robotName(p, n), battery: num(p['batteryPct'], 0), low: num(p['lowBatteryPct'], 0), context: p['noFactsheet'] ? 'noFactsheet' : undefined },
  }),
  'custody.dose_late': doseSlot,
  'custody.dose_missed': doseSlot,
  'robot.message_refused': (p, n) => {
    const names = [p['topic'] ?? a('_aMessage'), ...['orderId', 'headerId', 'actionId'].filter((k) => p[k]).map((k) => `${k} ${p[k]}`)];
    return { vars: { robot: robotName(p, n), errorType: p['errorType'], names: names.join(a('_list')), desc: colon(p['errorDescription']) } };
  },
  'robot.map_mismatch': (p, n) => ({ vars: { ...p, robot: robotName(p, n) } }),
  'mission.order_unacknowledged': (p, n) => {
    const context = p['refusal'] ? 'refusal' : undefined;
    const afterAttempts = p['attempts'] ? a('_afterAttempts', { count: p['attempts'] }) : '';
    return { vars: { ...p, robot: robotName(p, n), afterAttempts, context } };
  },
  'custody.robot_lost': (p) => ({ vars: { delivery: short(p['deliveryId']), failure: unknown(p['failure']) } }),
  'custody.dispatch_refused': (p, n) => ({
    vars: {
      delivery: short(p['deliveryId']),
      failure: unknown(p['failure']),
      robotId: p['robotId'] ? (n(p['robotId']) ?? p['robotId']) : a('_unknown'),
      doses: doses(p['doses']),
    },
  }),
  'custody.compartment_forced': (p, n) => ({ vars: { compartmentId: p['compartmentId'], robotId: n(p['robotId']) ?? p['robotId'], doses: doses(p['doses']) } }),
  'custody.unlock_failed': (p, n) => ({
    vars: {
      compartmentId: p['compartmentId'],
      robotId: n(p['robotId']) ?? p['robotId'],
      delivery: short(p['deliveryId']),
      attempts: a('_attempts', { count: p['failures'] }),
      why: p['robotText'] ?? p['reason'],
    },
  }),
  'custody.doses_lost': (p) => ({ vars: { delivery: short(p['deliveryId']), doses: doses(p['doses']) } }),
  'custody.receipt_discrepancy': (p) => ({
    vars: {
      delivery: short(p['deliveryId']),
      doses: doses(p['missing'] ?? []),
      gtin: p['extraGtin'] ? paren(`GTIN ${p['extraGtin']}`) : '',
      context: Array.isArray(p['missing']) && p['missing'].length ? 'missing' : undefined,
    },
  }),
  'custody.receipt_overdue': (p) => ({ vars: { delivery: short(p['deliveryId']), state: stateWord(p['state']), minutes: num(p['minutes'], 0) } }),
  'custody.override_unreviewed': (p) => ({
    vars: {
      drug: p['drug'],
      forBed: p['bed'] ? a('_forBed', { bed: p['bed'] }) : '',
      recordedAt: time(p['recordedAt']),
      byWhom: p['overriddenBy'] ? a('_byWhom', { who: p['overriddenBy'] }) : '',
      rights: (p['rights'] as string[]).map(rightWord).join(a('_list')),
      waited: formatDuration(Number(p['minutes']) * 60),
    },
  }),
  'cabinet.unexpected_open': (p) => ({ vars: { ...p, at: time(p['at']), badge: p['userId'] ? a('_badge', { badge: p['userId'] }) : '' } }),
  'cabinet.pocket_left_open': (p) => ({ vars: { ...p, open: formatDuration(p['openS']) } }),
  'cabinet.door_forced': (p) => ({ vars: { cabinet: p['cabinet'], at: time(p['at']), drawer: p['drawerId'] ? a('_drawer', { drawer: p['drawerId'] }) : '' } }),
  'cabinet.power_lost': (p) => ({ vars: { cabinet: p['cabinet'] } }),
  'cabinet.discrepancy': (p) => ({ vars: { ...p, counted: num(p['counted'], 3), expected: num(p['expected'], 3) } }),
  'sensor.probe_fault': (p) => ({ vars: { ...p, fault: String(p['fault']).replace(/_/g, ' '), detail: paren(p['detail']), at: time(p['at']) } }),
  'sensor.tamper': (p) => ({ vars: { sensor: p['sensor'], detail: paren(p['detail']) } }),
  'sensor.battery_low': (p) => ({ vars: { sensor: p['sensor'], batteryPct: num(p['batteryPct'], 0) } }),
  'sensor.threshold': ruleAlarm,
  'sensor.stale': ruleAlarm,
  'cabinet.threshold': ruleAlarm,
  'cabinet.stale': ruleAlarm,
  'device.threshold': ruleAlarm,
  'device.stale': ruleAlarm,
  'coldchain.excursion': (p, n) => ({
    vars: {
      storage: n(p['storageId']) ?? p['storageId'],
      minAllowedC: num(p['minAllowedC']),
      maxAllowedC: num(p['maxAllowedC']),
      nowC: num(p['nowC']),
      start: time(p['window']?.start),
    },
  }),
  'coldchain.quarantine': (p, n) => ({
    vars: {
      storage: n(p['storageId']) ?? p['storageId'],
      since: time(p['since']),
      count: p['dosesQuarantined'] !== null && p['dosesQuarantined'] !== undefined ? paren(doses(p['dosesQuarantined'])) : '',
    },
  }),
  'coldchain.exposed_dose_given': (p, n) => ({
    vars: { storage: n(p['storageId']) ?? p['storageId'], doses: doses(p['doses']) },
    count: (p['doses'] as unknown[]).length,
  }),
  'device.input_flood': (p, n) => ({
    vars: { ...p, device: n(p['deviceId']) ?? p['deviceId'], maxPerSec: num(p['maxPerSec'], 0), maxBytesPerSec: num(p['maxBytesPerSec'], 0) },
  }),
  'device.command_timed_out': (p, n) => ({
    vars: { kind: kind(p['deviceKind']), device: n(p['deviceId']) ?? p['deviceId'], type: p['type'], timeoutS: num(p['timeoutS']) },
  }),
  'device.clock_skew': (p, n) => ({
    vars: {
      kind: kind(p['deviceKind']),
      device: n(p['deviceId']) ?? p['deviceId'],
      messages: p['messages'],
      offset: formatDuration(Math.abs(p['offsetS'])),
      maxSkew: formatDuration(p['maxSkewS']),
      context: p['direction'] === 'future' ? 'future' : 'past',
    },
  }),
  'security.sign_in_locked': (p) => {
    const context = p['scope'] === 'address' ? (p['channel'] === 'mqtt' ? 'mqtt' : 'address') : p['scope'] === 'pair' ? 'pair' : undefined;
    return {
      vars: { subject: p['subject'], address: p['address'] ?? a('_oneAddress'), failures: p['failures'], until: time(p['lockedUntil']) },
      title: `security.sign_in_locked.title${context ? `_${context}` : ''}`,
      message: `security.sign_in_locked.message${context ? `_${context}` : p['channel'] === 'mqtt' ? '_device' : ''}`,
    };
  },
  'security.badge_locked': (p) => {
    const holder = p['owner']
      ? a('security.badge_locked._holder', { owner: p['owner'], wards: p['wards'] ? `${a('_list')}${p['wards']}` : '' })
      : a('security.badge_locked._nobody');
    return {
      vars: { gsrn: p['gsrn'], owner: p['owner'], holder, address: p['address'] ?? a('_oneAddress'), failures: p['failures'], until: time(p['lockedUntil']) },
      title: p['owner'] ? 'security.badge_locked.title' : 'security.badge_locked.title_unknown',
      message: p['scope'] === 'pair' ? 'security.badge_locked.message_pair' : 'security.badge_locked.message',
    };
  },
  'audit.anchor_mismatch': (p) => ({ vars: p }),
  'audit.anchored_afresh': (p) => ({ vars: p }),
  'audit.checkpoint_write_failed': (p) => ({ vars: p }),
  'audit.witness_unreachable': (p) => ({ vars: { ...p, witnessSize: p['witnessSize'] ?? a('_unknownCount') } }),
  'audit.witness_conflict': (p) => ({
    vars: { ...p, witnessSize: p['witnessSize'] ?? '?', context: p['reason'] === 'witness_ahead' ? 'witness_ahead' : undefined },
  }),
};

const broken = (s: string) => /undefined|NaN|\{\{/.test(s);

/** The alarm's title and message for a person reading the UI now. */
export function alarmText(
  alarm: Pick<LiveAlarm, 'type' | 'title' | 'message' | 'details'>,
  nameOf: NameOf = () => undefined,
): { title: string; message: string } {
  const server = { title: alarm.title || alarm.type, message: alarm.message };
  const prepare = PREPARE[alarm.type];
  if (!prepare || !i18nHas(`${alarm.type}.title`)) return server;
  try {
    const { vars, title, message, count } = prepare(alarm.details ?? {}, nameOf);
    const o = { ...vars, ...(count !== undefined ? { count } : {}) };
    const out = { title: a(title ?? `${alarm.type}.title`, o), message: a(message ?? `${alarm.type}.message`, o) };
    // an older row without some parameter: the server's own words rather than "undefined"
    return broken(out.title) || broken(out.message) ? server : out;
  } catch {
    return server;
  }
}

/**
 * What must have been done before a person closes the alarm (the catalogue's `clears.hint`),
 * in the user's language (`<type>._hint`), else the server's English; null when it clears by itself.
 */
export function resolutionHint(alarm: Pick<LiveAlarm, 'type' | 'clears'>): string | null {
  if (alarm.clears?.by !== 'resolution') return null;
  return a(`${alarm.type}._hint`, { defaultValue: alarm.clears.hint }) || null;
}

function i18nHas(key: string): boolean {
  // the bare title, or one of its variants (a context or a plural form)
  return ['', '_one', '_other', '_refusal', '_future', '_mqtt', '_unknown'].some((x) => hasKey(`${key}${x}`, 'alarm'));
}
