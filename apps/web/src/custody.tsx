/**
 * Shared pieces of the custody panels: the record shapes the custody API answers with
 * (apps/control-plane/src/custody/custody-views.ts), polling that a live custody event
 * refreshes at once, the formulary and patient names, and small renderers for doses.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { LiveEvent } from '../../../libs/contracts/src/live/live.types';
import type { LiveMirror } from '../../../libs/contracts/src/live/live-mirror';
import { ApiError, api, optionalGet, type Optional } from './api';
import type { Dose, Medication, Patient } from '../../../libs/contracts/src/custody/custody.views';
import { formatWhen, t } from './i18n/i18n';

export type * from '../../../libs/contracts/src/custody/custody.views';
export type { MedicationOrder as Order } from '../../../libs/contracts/src/custody/custody.views';

/** GETs an endpoint, again every `everyMs` and whenever `bump` changes (a live custody event). */
export function usePolled<T>(path: string | null, bump: unknown, everyMs = 15_000): [Optional<T>, () => void] {
  const [value, setValue] = useState<Optional<T>>({ state: 'loading' });
  const [n, setN] = useState(0);
  useEffect(() => {
    if (!path) return;
    let alive = true;
    const load = () => void optionalGet<T>(path).then((v) => alive && setValue(v));
    load();
    const t = setInterval(load, everyMs);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, [path, bump, n, everyMs]);
  return [value, () => setN((x) => x + 1)];
}

/**
 * The newest custody event the room carried: a new one (a dose or delivery changed on this
 * ward) makes every custody panel fetch again at once instead of waiting for its poll.
 */
export function custodyBump(mirror: LiveMirror | null): LiveEvent | null {
  if (!mirror) return null;
  for (let i = mirror.other.length - 1; i >= 0; i--) if (mirror.other[i]!.type.startsWith('custody.')) return mirror.other[i]!;
  return null;
}

/** Names for ids: the formulary and the patients this user may see. */
export interface Catalog {
  meds: Map<string, Medication>;
  patients: Map<string, Patient>;
}

export function useCatalog(ward: string | null, bump: unknown): Catalog {
  const [meds] = usePolled<Medication[]>('/api/medications', bump, 60_000);
  const [patients] = usePolled<Patient[]>(ward ? `/api/patients?ward=${encodeURIComponent(ward)}` : '/api/patients', bump, 60_000);
  return {
    meds: new Map(meds.state === 'ok' ? meds.data.map((m) => [m.id, m]) : []),
    patients: new Map(patients.state === 'ok' ? patients.data.map((p) => [p.id, p]) : []),
  };
}

export function medName(c: Catalog, id: string): string {
  const m = c.meds.get(id);
  return m ? `${m.name} ${m.strength}` : t('custody.medication', { id: id.slice(0, 8) });
}

export function patientName(c: Catalog, id: string): string {
  const p = c.patients.get(id);
  return p ? `${p.name}${p.bed ? t('custody.bed', { bed: p.bed }) : ''}` : t('custody.patient', { id: id.slice(0, 8) });
}

export const short = (id: string | null | undefined) => (id ? id.slice(0, 8) : '—');

/** What a person reads for a custody state (the `state.*` keys of the catalogues). */
export const stateLabel = (state: string) => t(`state.${state}`, { defaultValue: state.replace(/_/g, ' ') });
const STATE_TONE: Record<string, string> = {
  received: 'ok',
  administered: 'ok',
  given: 'ok',
  completed: 'ok',
  arrived: 'info',
  unlocked: 'info',
  due: 'info',
  late: 'warn',
  held: 'warn',
  refused: 'warn',
  failed: 'bad',
  missed: 'bad',
  lost: 'bad',
  quarantined: 'bad',
  receipt_discrepancy: 'bad',
  escalated_manual: 'warn',
};

export function StateTag(props: { state: string; label?: string }) {
  return (
    <span class={`tag state ${STATE_TONE[props.state] ?? ''}`} data-state={props.state}>
      {props.label ?? stateLabel(props.state)}
    </span>
  );
}

/** An API refusal as a person should read it: the rule's own message, with its code. */
export function Refusal(props: { error: unknown }) {
  const e = props.error;
  if (!e) return null;
  const code = e instanceof ApiError ? e.code : null;
  return (
    <p class="refusal" role="alert" data-code={code ?? ''}>
      {code && <code>{code}</code>} {(e as Error).message}
    </p>
  );
}

/** Runs one POST at a time for a form; remembers the last error. */
export function useAction(): {
  busy: boolean;
  error: unknown;
  run: <T>(method: string, path: string, body?: unknown) => Promise<T | null>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async <T,>(method: string, path: string, body?: unknown): Promise<T | null> => {
    setBusy(true);
    setError(null);
    try {
      return await api<T>(method, path, body);
    } catch (err) {
      setError(err);
      return null;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, clear: () => setError(null) };
}

/** A text field for a keyboard-wedge scanner: it types the code and presses Enter. */
export function ScanField(props: {
  label: string;
  placeholder: string;
  onScan: (code: string) => void | Promise<void>;
  disabled?: boolean;
  autoFocus?: boolean;
  name?: string;
  button?: string;
}) {
  const [value, setValue] = useState('');
  return (
    <form
      class="scan"
      onSubmit={(e) => {
        e.preventDefault();
        const code = value.replace(/[\r\n]+$/, '');
        if (!code.trim()) return;
        setValue('');
        void props.onScan(code);
      }}
    >
      <input
        name={props.name}
        aria-label={props.label}
        placeholder={props.placeholder}
        value={value}
        autoComplete="off"
        spellcheck={false}
        disabled={props.disabled}
        autoFocus={props.autoFocus}
        onInput={(e) => setValue((e.target as HTMLInputElement).value)}
      />
      <button type="submit" disabled={props.disabled}>
        {props.button ?? t('common.enter')}
      </button>
    </form>
  );
}

export function DoseRow(props: { dose: Dose; catalog: Catalog; children?: ComponentChildren; showPatient?: boolean }) {
  const d = props.dose;
  return (
    <li class={`dose-row ${d.state}`} data-dose={d.id} data-state={d.state}>
      <StateTag state={d.state} />
      <span class="grow">
        <strong>{medName(props.catalog, d.medicationId)}</strong>
        {props.showPatient !== false && <span class="muted"> · {patientName(props.catalog, d.patientId)}</span>}
        {d.serial && <span class="muted mono"> · SN {d.serial}</span>}
      </span>
      {props.children}
    </li>
  );
}

/** The time (24-hour, site's zone) when it is today at the site, else with the date. */
export function when(iso: string | null): string {
  return formatWhen(iso);
}
