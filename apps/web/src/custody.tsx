/**
 * Panels fed by the custody API (deliveries, receipt, patients' doses, orders, timelines).
 * That API is being built alongside: until its routes answer, each panel says so. Records are
 * read defensively (shapes may still shift): a field that is not there is shown as absent.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, optionalGet, type Optional } from './api';
import { clock, Empty, OptionalState } from './ui';

export type Rec = Record<string, unknown>;

export const str = (r: Rec, ...keys: string[]): string | null => {
  for (const k of keys) {
    const v = r[k];
    if (typeof v === 'string' || typeof v === 'number') return String(v);
  }
  return null;
};

/** GETs an optional endpoint, again every `everyMs` and whenever `bump` changes (a live custody event). */
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

/** A list answer: a bare array, or the first array among the usual envelope keys. */
const asList = (d: unknown): Rec[] => {
  if (Array.isArray(d)) return d as Rec[];
  for (const k of ['items', 'slots', 'doses', 'events']) if (Array.isArray((d as Rec | undefined)?.[k])) return (d as Rec)[k] as Rec[];
  return [];
};

export function ArrivalsPanel(props: { ward: string; bump: unknown }) {
  const [value, reload] = usePolled<unknown>(`/api/deliveries?ward=${encodeURIComponent(props.ward)}&state=arrived`, props.bump);
  return (
    <OptionalState value={value} what="arrivals awaiting receipt">
      {(d) => {
        const list = asList(d);
        if (list.length === 0) return <Empty>No delivery is waiting for receipt.</Empty>;
        return (
          <ul class="list">
            {list.map((x) => (
              <Arrival key={str(x, 'id') ?? ''} delivery={x} onDone={reload} />
            ))}
          </ul>
        );
      }}
    </OptionalState>
  );
}

function Arrival(props: { delivery: Rec; onDone: () => void }) {
  const d = props.delivery;
  const id = str(d, 'id') ?? '';
  const compartment = str(d, 'compartmentId', 'compartment') ?? '';
  const [barcode, setBarcode] = useState('');
  const [msg, setMsg] = useState<string | null>(null);
  const run = async (what: string, path: string, body: unknown) => {
    setMsg(null);
    try {
      await api('POST', path, body);
      setMsg(`${what}: done`);
      props.onDone();
    } catch (err) {
      setMsg(`${what}: ${(err as Error).message}`);
    }
  };
  return (
    <li data-delivery={id}>
      <div class="row">
        <strong>Delivery {id.slice(0, 8)}</strong>
        <span class="tag">{str(d, 'state', 'status') ?? 'arrived'}</span>
        {compartment && <span class="muted">compartment {compartment}</span>}
      </div>
      <div class="row">
        <button class="primary" onClick={() => void run('Unlock', `/api/deliveries/${id}/unlock`, { compartmentId: compartment })}>
          Unlock compartment
        </button>
        <form
          class="scan"
          onSubmit={(e) => {
            e.preventDefault();
            if (barcode.trim()) void run('Receipt', `/api/deliveries/${id}/receipt`, { barcode: barcode.trim() }).then(() => setBarcode(''));
          }}
        >
          <input placeholder="scan each dose" value={barcode} onInput={(e) => setBarcode((e.target as HTMLInputElement).value)} aria-label="dose barcode" />
          <button type="submit">Receive</button>
        </form>
      </div>
      {msg && <div class="muted">{msg}</div>}
    </li>
  );
}

/** A plain list of custody records from `path` (deliveries in exception, overrides to review). */
export function CustodyList(props: { path: string; bump: unknown; what: string }) {
  const [value] = usePolled<unknown>(props.path, props.bump);
  return (
    <OptionalState value={value} what={props.what}>
      {(d) => {
        const list = asList(d);
        if (list.length === 0) return <Empty>None.</Empty>;
        return (
          <ul class="list">
            {list.map((x) => (
              <li key={str(x, 'id') ?? ''}>
                <strong>{str(x, 'id')?.slice(0, 8)}</strong> <span class="tag">{str(x, 'state', 'status')}</span> <span class="muted">{str(x, 'ward')}</span>{' '}
                <span>{str(x, 'reason', 'message')}</span>
              </li>
            ))}
          </ul>
        );
      }}
    </OptionalState>
  );
}

const DOSE_BUCKETS = ['due', 'late', 'missed'] as const;

/** Each patient's doses that need a nurse now: due, late, missed. */
export function DosesPanel(props: { ward: string; bump: unknown; onDose?: (id: string) => void; all?: boolean }) {
  const [patients] = usePolled<unknown>(`/api/patients?ward=${encodeURIComponent(props.ward)}`, props.bump);
  return (
    <OptionalState value={patients} what="patients' doses">
      {(d) => {
        const list = asList(d);
        if (list.length === 0) return <Empty>No patients on this ward.</Empty>;
        return (
          <ul class="list">
            {list.map((p) => (
              <PatientDoses key={str(p, 'id') ?? ''} patient={p} bump={props.bump} {...(props.onDose ? { onDose: props.onDose } : {})} all={!!props.all} />
            ))}
          </ul>
        );
      }}
    </OptionalState>
  );
}

function PatientDoses(props: { patient: Rec; bump: unknown; onDose?: (id: string) => void; all: boolean }) {
  const id = str(props.patient, 'id') ?? '';
  const [doses] = usePolled<unknown>(`/api/patients/${encodeURIComponent(id)}/medication`, props.bump);
  return (
    <li data-patient={id}>
      <div class="row">
        <strong>{str(props.patient, 'name', 'displayName', 'mrn') ?? id}</strong>
        <span class="muted">{str(props.patient, 'bed', 'location')}</span>
      </div>
      <OptionalState value={doses} what="doses">
        {(d) => {
          const list = asList(d).filter((x) => props.all || (DOSE_BUCKETS as readonly string[]).includes(str(x, 'state', 'status') ?? ''));
          if (list.length === 0) return <span class="muted">nothing due</span>;
          return (
            <ul class="doses">
              {list.map((x) => (
                <li key={str(x, 'id') ?? ''} class={`dose ${str(x, 'state', 'status')}`}>
                  <span class={`tag ${str(x, 'state', 'status')}`}>{str(x, 'state', 'status')}</span> {str(x, 'drug', 'medication', 'name')}{' '}
                  {str(x, 'dose', 'strength')} <span class="muted">{clock(str(x, 'dueAt', 'scheduledAt'))}</span>
                  {props.onDose && (
                    <button class="link-button" onClick={() => props.onDose!(str(x, 'id') ?? '')}>
                      timeline
                    </button>
                  )}
                </li>
              ))}
            </ul>
          );
        }}
      </OptionalState>
    </li>
  );
}

export function DoseTimeline(props: { doseId: string; onClose: () => void }) {
  const [value] = usePolled<unknown>(`/api/doses/${encodeURIComponent(props.doseId)}/timeline`, props.doseId, 60_000);
  return (
    <div class="timeline">
      <div class="row">
        <strong>Dose {props.doseId.slice(0, 8)}</strong>
        <button onClick={props.onClose}>close</button>
      </div>
      <OptionalState value={value} what="this dose's timeline">
        {(d) => (
          <ol>
            {asList(d).map((e, i) => (
              <li key={i}>
                <span class="muted">{clock(str(e, 'at'))}</span> <strong>{str(e, 'type', 'event', 'to')}</strong> {str(e, 'by', 'actor')}
              </li>
            ))}
          </ol>
        )}
      </OptionalState>
    </div>
  );
}

export function OrdersToVerify(props: { bump: unknown }) {
  const [value, reload] = usePolled<unknown>('/api/orders?status=active', props.bump);
  const [msg, setMsg] = useState<string | null>(null);
  return (
    <OptionalState value={value} what="orders to verify">
      {(d) => {
        const list = asList(d);
        if (list.length === 0) return <Empty>No order is waiting for verification.</Empty>;
        return (
          <>
            {msg && <p class="muted">{msg}</p>}
            <ul class="list">
              {list.map((o) => {
                const id = str(o, 'id') ?? '';
                return (
                  <li key={id} class="row">
                    <strong>{str(o, 'drug', 'medication')}</strong> <span>{str(o, 'dose')}</span> <span class="muted">{str(o, 'patientId', 'patient')}</span>
                    <button
                      class="primary"
                      onClick={() =>
                        void api('POST', `/api/orders/${id}/verify`, {}).then(
                          () => reload(),
                          (e: Error) => setMsg(e.message),
                        )
                      }
                    >
                      Verify
                    </button>
                  </li>
                );
              })}
            </ul>
          </>
        );
      }}
    </OptionalState>
  );
}
