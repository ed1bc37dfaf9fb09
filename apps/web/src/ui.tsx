/** Small shared pieces: panels, empty states, alarm and mission lists, time formatting. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { LiveAlarm, LiveMission, LiveSensorReading } from '../../../libs/contracts/src/live/live.types';
import { api, type Optional } from './api';
import type { LinkState } from './live';
import { nodeName, type Site } from './site';

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
  if (v.state === 'loading') return <Empty>Loading {props.what}…</Empty>;
  if (v.state === 'unavailable')
    return (
      <p class="empty unavailable" data-state="unavailable">
        The custody service is not available on this server yet: {props.what} will appear here when it is.
      </p>
    );
  if (v.state === 'error')
    return (
      <p class="empty error">
        Could not load {props.what}: {v.message}
      </p>
    );
  return <>{props.children(v.data)}</>;
}

export function LinkBadge(props: { link: LinkState }) {
  const label = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…', refused: 'signed out' }[props.link];
  return (
    <span class={`link ${props.link}`} data-link={props.link}>
      ● {label}
    </span>
  );
}

export function clock(iso: string | null): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function inMinutes(iso: string | null, now = Date.now()): string {
  if (!iso) return 'ETA unknown';
  const s = Math.round((Date.parse(iso) - now) / 1000);
  if (s <= 0) return 'arriving';
  return s < 90 ? `in ${s} s` : `in ${Math.round(s / 60)} min`;
}

const SEVERITY_ORDER: Record<string, number> = { critical: 0, warning: 1, info: 2 };

export function AlarmList(props: { alarms: LiveAlarm[]; canAck: boolean }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const alarms = [...props.alarms].sort(
    (a, b) => (a.state === 'raised' ? 0 : 1) - (b.state === 'raised' ? 0 : 1) || (SEVERITY_ORDER[a.severity] ?? 3) - (SEVERITY_ORDER[b.severity] ?? 3),
  );
  if (alarms.length === 0) return <Empty>No open alarms.</Empty>;
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
      <ul class="list alarms">
        {alarms.map((a) => (
          <li key={a.id} class={`alarm ${a.severity} ${a.state}`} data-alarm={a.id} data-state={a.state}>
            <div class="row">
              <span class={`sev ${a.severity}`}>{a.severity}</span>
              <strong title={a.type}>{a.title || a.type}</strong>
              <span class="muted">{clock(a.lastRaisedAt)}</span>
              {a.escalationLevel > 0 && <span class="tag warn">escalated ×{a.escalationLevel}</span>}
            </div>
            <div>{a.message}</div>
            <div class="row">
              {a.state === 'acknowledged' ? (
                <span class="muted">
                  acknowledged by {a.acknowledged?.by} at {clock(a.acknowledged?.at ?? null)}
                </span>
              ) : props.canAck ? (
                <button class="primary" disabled={busy === a.id} onClick={() => void ack(a.id)}>
                  Acknowledge
                </button>
              ) : null}
            </div>
          </li>
        ))}
      </ul>
    </>
  );
}

/** A ward's sensors with their newest values (temperature first), and since when each has shown them. */
export function SensorList(props: { sensors: LiveSensorReading[] }) {
  if (!props.sensors.length) return <Empty>No sensor has reported since the server started.</Empty>;
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
          <span class="muted"> · since {clock(s.at)}</span>
        </li>
      ))}
    </ul>
  );
}

function sensorValue(key: string, v: number | boolean): string {
  const [channel, metric] = key.split('.') as [string, string];
  if (typeof v === 'boolean') return `${channel} ${metric.replace(/([A-Z])/g, ' $1').toLowerCase()}: ${v ? 'yes' : 'no'}`;
  if (metric === 'temperatureC') return `${channel} ${v.toFixed(1)} °C`;
  if (metric === 'humidityPct' || metric === 'batteryPct') return `${channel} ${Math.round(v)} %`;
  return `${channel} ${metric} ${Math.round(v * 10) / 10}`;
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
              <span class={`prio ${m.priority}`}>{m.priority}</span>
              <strong>to {dest ? nodeName(props.site, dest.nodeId) : '?'}</strong>
              <span class="tag">{m.paused ? `${m.status} · paused` : m.status.replace('_', ' ')}</span>
            </div>
            <div class="row muted">
              <span>{m.robotId ? `robot ${m.robotId}` : (m.waitingReason ?? 'waiting for a robot')}</span>
              {m.status === 'finished' ? <span>arrived {clock(m.updatedAt)}</span> : <span>{m.failureReason ?? inMinutes(m.eta, props.now)}</span>}
            </div>
          </li>
        );
      })}
    </ul>
  );
}

export const isOpenMission = (m: LiveMission) => !['finished', 'failed', 'cancelled'].includes(m.status);
