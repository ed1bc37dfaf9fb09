/** Small shared pieces: panels, empty states, alarm and mission lists, time formatting. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { LiveAlarm, LiveMission, LiveSensorReading } from '../../../libs/contracts/src/live/live.types';
import { api, type Optional } from './api';
import type { LinkState } from './live';
import { loadSession } from './session';
import { nodeName, type Site } from './site';
import { type NameOf, alarmText, resolutionHint } from './i18n/alarm-text';
import { formatClock, formatNumber, t } from './i18n/i18n';

export function Panel(props: { title: string; count?: number; children: ComponentChildren; id?: string; class?: string }) {
  return (
    <section class={`panel ${props.class ?? ''}`} id={props.id} aria-label={props.title}>
      <h2>
        {props.title}
        {props.count !== undefined && <span class="count">{props.count}</span>}
      </h2>
      {props.children}
    </section>
  );
}

export function Empty(props: { children: ComponentChildren }) {
  return <p class="empty">{props.children}</p>;
}

/** The honest states of a panel fed by an endpoint that may not exist yet. */
export function OptionalState<T>(props: { value: Optional<T>; what: string; children: (data: T) => ComponentChildren }) {
  const v = props.value;
  if (v.state === 'loading') return <Empty>{t('common.loadingWhat', { what: props.what })}</Empty>;
  if (v.state === 'unavailable')
    return (
      <p class="empty unavailable" data-state="unavailable">
        {t('common.unavailable', { what: props.what })}
      </p>
    );
  if (v.state === 'error') return <p class="empty error">{t('common.loadError', { what: props.what, message: v.message })}</p>;
  return <>{props.children(v.data)}</>;
}

export function LinkBadge(props: { link: LinkState }) {
  const label = t(`link.${props.link}`);
  return (
    <span class={`link ${props.link}`} data-link={props.link}>
      ● {label}
    </span>
  );
}

/** 24-hour time in the site's zone (see i18n/i18n.ts). */
export function clock(iso: string | null): string {
  return formatClock(iso);
}

export function inMinutes(iso: string | null, now = Date.now()): string {
  if (!iso) return t('eta.unknown');
  const s = Math.round((Date.parse(iso) - now) / 1000);
  if (s <= 0) return t('eta.arriving');
  return s < 90 ? t('eta.seconds', { n: s }) : t('eta.minutes', { n: Math.round(s / 60) });
}

const SEVERITY_ORDER: Record<string, number> = { critical: 0, warning: 1, info: 2 };

/**
 * Whether the signed-in user's role may acknowledge this alarm: a pharmacist's decision (a
 * quarantine, a discrepancy) is acknowledged by the roles the server's catalogue names, and
 * the server refuses anyone else (403 alarm_acknowledge_role_required); no button for them.
 */
function mayAcknowledge(a: LiveAlarm): boolean {
  const role = loadSession()?.user.role;
  return !a.acknowledgeRoles || (role !== undefined && a.acknowledgeRoles.includes(role));
}

/**
 * Whether the signed-in user may close this alarm by hand: its catalogue says it clears by a
 * person's decision (a missed dose is final on the MAR: nothing recorded later ends it) and
 * names the roles; the server refuses anyone else (403 role_forbidden).
 */
function mayResolve(a: LiveAlarm): boolean {
  const role = loadSession()?.user.role;
  return a.state !== 'cleared' && a.clears?.by === 'resolution' && role !== undefined && a.clears.roles.includes(role);
}

/**
 * What a panel's alarm count shows: the alarms still raised, and the acknowledged ones only a
 * person can close. An acknowledged alarm that clears by itself stays listed (its condition may
 * persist) but somebody already owns it and nobody can put it out; an acknowledged missed dose
 * stays open until somebody records what was done, so it must not drop off the badge.
 */
export const openAlarmCount = (alarms: readonly LiveAlarm[]) =>
  alarms.filter((a) => a.state === 'raised' || (a.state === 'acknowledged' && a.clears?.by === 'resolution')).length;

/**
 * Closing an alarm that clears by resolution: the reason the server requires (kept on the
 * alarm, and on the custody ledger for a delivery's), with the catalogue's hint of what must
 * have been done. The live feed then removes the cleared alarm from the list.
 */
function ResolveAlarm(props: { alarm: LiveAlarm }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const a = props.alarm;
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        {t('alarms.resolve')}
      </button>
    );
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('POST', `/api/alarms/${a.id}/resolve`, { reason: reason.trim() });
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const hint = resolutionHint(a);
  return (
    <form class="resolve" data-resolve={a.id} onSubmit={(e) => void submit(e)}>
      {hint && <p class="muted">{t('alarms.resolveHint', { hint })}</p>}
      <label>
        {t('alarms.resolveReason')}
        <textarea name="reason" required maxLength={500} rows={2} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
      </label>
      {error && <p class="error">{error}</p>}
      <div class="row">
        <button class="primary" type="submit" disabled={busy || reason.trim() === ''}>
          {t('alarms.resolveSubmit')}
        </button>
        <button type="button" disabled={busy} onClick={() => setOpen(false)}>
          {t('alarms.resolveCancel')}
        </button>
      </div>
    </form>
  );
}

/** `coldchain.excursion` → `coldchain`: the type filter offers the families (`alarmFamily.*`), not ~50 types. */
const familyOf = (type: string) => type.split('.')[0] ?? type;
type StateFilter = 'all' | 'raised' | 'acknowledged';

export function AlarmList(props: { alarms: LiveAlarm[]; canAck: boolean; nameOf?: NameOf }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [severity, setSeverity] = useState('all');
  const [family, setFamily] = useState('all');
  const [state, setState] = useState<StateFilter>('all');
  const all = [...props.alarms].sort(
    (a, b) => (a.state === 'raised' ? 0 : 1) - (b.state === 'raised' ? 0 : 1) || (SEVERITY_ORDER[a.severity] ?? 3) - (SEVERITY_ORDER[b.severity] ?? 3),
  );
  if (all.length === 0) return <Empty>{t('alarms.none')}</Empty>;
  // the chosen value stays offered when its last alarm goes (the select would show another)
  const families = [...new Set([...all.map((a) => familyOf(a.type)), ...(family === 'all' ? [] : [family])])].sort();
  const severities = [...new Set([...Object.keys(SEVERITY_ORDER), ...all.map((a) => a.severity)])];
  const alarms = all.filter(
    (a) => (severity === 'all' || a.severity === severity) && (family === 'all' || familyOf(a.type) === family) && (state === 'all' || a.state === state),
  );
  const choose = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLSelectElement).value);
  const ack = async (id: string) => {
    setBusy(id);
    setError(null);
    try {
      await api('POST', `/api/alarms/${id}/acknowledge`);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(null);
    }
  };
  return (
    <>
      {error && <p class="error">{error}</p>}
      <div class="row filters alarm-filters">
        <select name="alarm-state" aria-label={t('alarms.filterState')} value={state} onChange={choose((v) => setState(v as StateFilter))}>
          <option value="all">{t('alarms.state.all')}</option>
          <option value="raised">{t('alarms.state.raised')}</option>
          <option value="acknowledged">{t('alarms.state.acknowledged')}</option>
        </select>
        <select name="alarm-severity" aria-label={t('alarms.filterSeverity')} value={severity} onChange={choose(setSeverity)}>
          <option value="all">{t('alarms.severityAll')}</option>
          {severities.map((s) => (
            <option key={s} value={s}>
              {t(`severity.${s}`, { defaultValue: s })}
            </option>
          ))}
        </select>
        <select name="alarm-type" aria-label={t('alarms.filterType')} value={family} onChange={choose(setFamily)}>
          <option value="all">{t('alarms.typeAll')}</option>
          {families.map((f) => (
            <option key={f} value={f}>
              {t(`alarmFamily.${f}`, { defaultValue: f })}
            </option>
          ))}
        </select>
      </div>
      {alarms.length === 0 && <Empty>{t('alarms.noneMatch')}</Empty>}
      <ul class="list alarms">
        {alarms.map((a) => {
          // worded here from the type and parameters, in the user's language (i18n/alarm-text.ts)
          const text = alarmText(a, props.nameOf);
          return (
            <li key={a.id} class={`alarm ${a.severity} ${a.state}`} data-alarm={a.id} data-state={a.state} data-type={a.type}>
              <div class="row">
                <span class={`sev ${a.severity}`}>{t(`severity.${a.severity}`, { defaultValue: a.severity })}</span>
                <strong title={a.type}>{text.title}</strong>
                <span class="muted">{clock(a.lastRaisedAt)}</span>
                {a.escalationLevel > 0 && <span class="tag warn">{t('alarms.escalated', { n: a.escalationLevel })}</span>}
              </div>
              <div>{text.message}</div>
              <div class="row">
                {a.state === 'acknowledged' ? (
                  <span class="muted">{t('alarms.acknowledgedBy', { who: a.acknowledged?.by, at: clock(a.acknowledged?.at ?? null) })}</span>
                ) : props.canAck && mayAcknowledge(a) ? (
                  <button class="primary" disabled={busy === a.id} onClick={() => void ack(a.id)}>
                    {t('alarms.acknowledge')}
                  </button>
                ) : null}
                {props.canAck && mayResolve(a) && <ResolveAlarm alarm={a} />}
              </div>
            </li>
          );
        })}
      </ul>
    </>
  );
}

/** A ward's sensors with their newest values (temperature first), and since when each has shown them. */
export function SensorList(props: { sensors: LiveSensorReading[] }) {
  if (!props.sensors.length) return <Empty>{t('sensors.none')}</Empty>;
  const sorted = [...props.sensors].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <ul class="list sensors">
      {sorted.map((s) => (
        <li key={s.deviceId} data-sensor={s.deviceId}>
          <strong>{s.name}</strong>{' '}
          {Object.entries(s.values)
            .sort(([a], [b]) => Number(!a.endsWith('temperatureC')) - Number(!b.endsWith('temperatureC')) || a.localeCompare(b))
            .map(([k, v]) => (
              <span key={k} class="value">
                {sensorValue(k, v)}
              </span>
            ))}
          {/* stations hear a reading when its shown value changes (or once a minute): the value has held since then */}
          <span class="muted"> · {t('sensors.since', { at: clock(s.at) })}</span>
        </li>
      ))}
    </ul>
  );
}

function sensorValue(key: string, v: number | boolean): string {
  const [channel, metric] = key.split('.') as [string, string];
  if (typeof v === 'boolean') return `${channel} ${metric.replace(/([A-Z])/g, ' $1').toLowerCase()}: ${t(v ? 'sensors.yes' : 'sensors.no')}`;
  if (metric === 'temperatureC') return `${channel} ${formatNumber(v, 1)} °C`;
  if (metric === 'humidityPct' || metric === 'batteryPct') return `${channel} ${formatNumber(v, 0)} %`;
  return `${channel} ${metric} ${formatNumber(v, 1)}`;
}

export function MissionList(props: { missions: LiveMission[]; site: Site | null; empty: string; now: number }) {
  if (props.missions.length === 0) return <Empty>{props.empty}</Empty>;
  return (
    <ul class="list missions">
      {props.missions.map((m) => {
        const dest = m.stops[m.stops.length - 1];
        return (
          <li key={m.id} class={`mission ${m.status}`} data-mission={m.id} data-status={m.status}>
            <div class="row">
              <span class={`prio ${m.priority}`}>{t(`priority.${m.priority}`, { defaultValue: m.priority })}</span>
              <strong>{t('mission.to', { dest: dest ? nodeName(props.site, dest.nodeId) : '?' })}</strong>
              <span class="tag">{m.paused ? t('mission.paused', { status: statusWord(m.status) }) : statusWord(m.status)}</span>
            </div>
            <div class="row muted">
              <span>{m.robotId ? t('mission.robot', { robot: m.robotId }) : (m.waitingReason ?? t('mission.waitingRobot'))}</span>
              {m.status === 'finished' ? (
                <span>{t('mission.arrived', { at: clock(m.updatedAt) })}</span>
              ) : (
                <span>{m.failureReason ?? inMinutes(m.eta, props.now)}</span>
              )}
            </div>
          </li>
        );
      })}
    </ul>
  );
}

const statusWord = (s: string) => t(`status.${s}`, { defaultValue: s.replace('_', ' ') });

export const isOpenMission = (m: LiveMission) => !['finished', 'failed', 'cancelled'].includes(m.status);
