/**
 * The pharmacy side of custody: the verification gate for new orders, building a delivery the
 * way the custody API requires it (create for a ward → scan each unit for its order → check,
 * with a second pharmacist for high-alert drugs → load into a robot's compartments →
 * dispatch), and the exceptions a pharmacist must act on.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type Optional } from './api';
import {
  type Catalog,
  type Delivery,
  type Dose,
  DoseRow,
  medName,
  type Order,
  patientName,
  Refusal,
  type RobotSummary,
  ScanField,
  short,
  StateTag,
  useAction,
  usePolled,
  when,
} from './custody';
import { type Site, useSite } from './site';
import { clock, Empty, OptionalState } from './ui';
import { useWitness, type WitnessCredentials } from './witness';

// ---- orders to verify -----------------------------------------------------------------------

export function OrdersToVerify(props: { bump: unknown; catalog: Catalog }) {
  const [value, reload] = usePolled<Order[]>('/api/orders?status=active', props.bump, 10_000);
  return (
    <OptionalState value={value} what="orders to verify">
      {(list) =>
        list.length === 0 ? (
          <Empty>No order is waiting for verification.</Empty>
        ) : (
          <ul class="list orders">
            {list.map((o) => (
              <OrderItem key={o.id} order={o} catalog={props.catalog} onDone={reload} />
            ))}
          </ul>
        )
      }
    </OptionalState>
  );
}

function OrderItem(props: { order: Order; catalog: Catalog; onDone: () => void }) {
  const o = props.order;
  const med = props.catalog.meds.get(o.medicationId);
  const patient = props.catalog.patients.get(o.patientId);
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const action = useAction();
  const post = async (path: string, body?: unknown) => {
    if (await action.run('POST', path, body)) props.onDone();
  };
  return (
    <li data-order={o.id}>
      <div class="row">
        <span class={`prio ${o.priority}`}>{o.priority}</span>
        <strong>{medName(props.catalog, o.medicationId)}</strong>
        <span>
          {o.dose.amount} {o.dose.unit} {o.route}
        </span>
        {med?.highAlert && <span class="tag warn">high alert</span>}
        {med?.controlled && <span class="tag warn">controlled</span>}
        {med?.refrigerated && <span class="tag">fridge</span>}
      </div>
      <div class="muted small">
        {patient ? `${patient.name} · ${patient.ward}${patient.bed ? ` bed ${patient.bed}` : ''}` : patientName(props.catalog, o.patientId)} ·{' '}
        {o.schedule.times.map(when).join(', ')} · by {o.prescriber ?? '—'}
      </div>
      {rejecting ? (
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            void post(`/api/orders/${o.id}/reject`, { reason: reason.trim() });
          }}
        >
          <input
            aria-label="reason for rejecting"
            placeholder="reason (sent to the prescriber)"
            value={reason}
            onInput={(e) => setReason((e.target as HTMLInputElement).value)}
          />
          <button class="danger" type="submit" disabled={action.busy || reason.trim().length < 3}>
            Reject
          </button>
          <button type="button" onClick={() => setRejecting(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <div class="row">
          <button class="primary" disabled={action.busy} onClick={() => void post(`/api/orders/${o.id}/verify`)}>
            Verify
          </button>
          <button disabled={action.busy} onClick={() => setRejecting(true)}>
            Reject…
          </button>
        </div>
      )}
      <Refusal error={action.error} />
    </li>
  );
}

// ---- build a delivery -------------------------------------------------------------------------

const STEPS = ['create', 'pick', 'check', 'load', 'dispatch'] as const;

function stepOf(d: Delivery | null): (typeof STEPS)[number] {
  if (!d) return 'create';
  const doses = d.doses ?? [];
  if (d.state === 'loaded') return 'dispatch';
  if (d.state !== 'building') return 'dispatch';
  if (doses.some((x) => x.state === 'picked')) return 'check';
  if (doses.some((x) => x.state === 'checked')) return 'load';
  return 'pick';
}

export function BuildDelivery(props: { site: Site; catalog: Catalog; bump: unknown }) {
  const [deliveryId, setDeliveryId] = useState<string | null>(null);
  const [ward, setWard] = useState(props.site.wards[0]?.id ?? '');
  const [building] = usePolled<Delivery[]>('/api/deliveries?state=building', props.bump, 20_000);
  const [loaded] = usePolled<Delivery[]>('/api/deliveries?state=loaded', props.bump, 20_000);
  const action = useAction();
  const resumable = [...(building.state === 'ok' ? building.data : []), ...(loaded.state === 'ok' ? loaded.data : [])];
  if (deliveryId) return <DeliveryBuilder key={deliveryId} id={deliveryId} catalog={props.catalog} bump={props.bump} onClose={() => setDeliveryId(null)} />;
  return (
    <div class="build" data-step="create">
      <Steps at="create" />
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void action.run<Delivery>('POST', '/api/deliveries', { ward }).then((d) => d && setDeliveryId(d.id));
        }}
      >
        <label class="inline">
          Destination ward{' '}
          <select aria-label="destination ward" value={ward} onChange={(e) => setWard((e.target as HTMLSelectElement).value)}>
            {props.site.wards.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name} ({w.id})
              </option>
            ))}
          </select>
        </label>
        <button class="primary" type="submit" disabled={action.busy || !ward}>
          Create delivery
        </button>
      </form>
      <Refusal error={action.error} />
      {resumable.length > 0 && (
        <>
          <h3>Deliveries still being built</h3>
          <ul class="list">
            {resumable.map((d) => (
              <li key={d.id} class="row" data-resume={d.id}>
                <strong>{short(d.id)}</strong> <StateTag state={d.state} /> <span class="muted">to {d.ward}</span>{' '}
                <span class="muted">{clock(d.createdAt)}</span>
                <span class="spacer" />
                <button onClick={() => setDeliveryId(d.id)}>Resume</button>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

function Steps(props: { at: (typeof STEPS)[number]; done?: boolean }) {
  const i = STEPS.indexOf(props.at);
  return (
    <ol class="steps">
      {STEPS.map((s, j) => (
        <li key={s} class={j < i || props.done ? 'done' : j === i ? 'now' : ''}>
          {s}
        </li>
      ))}
    </ol>
  );
}

function DeliveryBuilder(props: { id: string; catalog: Catalog; bump: unknown; onClose: () => void }) {
  const [polled, reload] = usePolled<Delivery>(`/api/deliveries/${props.id}`, props.bump, 10_000);
  const [fresh, setFresh] = useState<Delivery | null>(null);
  useEffect(() => setFresh(null), [polled]);
  const d = fresh ?? (polled.state === 'ok' ? polled.data : null);
  const action = useAction();
  const [note, setNote] = useState<string | null>(null);
  const act = async (path: string, body: unknown, msg: string) => {
    setNote(null);
    const x = await action.run<Delivery>('POST', path, body);
    if (x) {
      setFresh(x);
      setNote(msg);
      reload();
    }
  };
  if (!d)
    return (
      <OptionalState value={polled as Optional<unknown>} what="the delivery">
        {() => null}
      </OptionalState>
    );
  const step = stepOf(d);
  const doses = d.doses ?? [];
  const dispatched = !['building', 'loaded'].includes(d.state);
  return (
    <div class="build" data-delivery={d.id} data-step={dispatched ? 'dispatched' : step}>
      <div class="row">
        <strong>Delivery {short(d.id)}</strong>
        <StateTag state={d.state} />
        <span class="muted">to {d.ward}</span>
        <span class="spacer" />
        <button class="link-button" onClick={props.onClose}>
          {dispatched ? 'build another' : 'close'}
        </button>
      </div>
      <Steps at={step} done={dispatched} />
      {doses.length > 0 && (
        <ul class="doses">
          {doses.map((x) => (
            <DoseRow key={x.id} dose={x} catalog={props.catalog}>
              {x.compartmentId && <span class="muted">{x.compartmentId}</span>}
            </DoseRow>
          ))}
        </ul>
      )}
      {d.state === 'building' && (
        <PickStep
          more={doses.length > 0}
          delivery={d}
          catalog={props.catalog}
          bump={props.bump}
          busy={action.busy}
          onPick={(orderId, barcode) => act(`/api/deliveries/${d.id}/picks`, { orderId, barcode }, 'Unit scanned into the delivery.')}
        />
      )}
      {d.state === 'building' && doses.some((x) => x.state === 'picked') && (
        <CheckStep
          doses={doses}
          catalog={props.catalog}
          busy={action.busy}
          onCheck={(witness) => act(`/api/deliveries/${d.id}/check`, witness ? { witness } : {}, 'Checked.')}
        />
      )}
      {d.state === 'building' && step === 'load' && (
        <LoadStep
          doses={doses.filter((x) => x.state === 'checked')}
          catalog={props.catalog}
          busy={action.busy}
          onLoad={(robotId, compartments) => act(`/api/deliveries/${d.id}/load`, { robotId, compartments }, `Sealed into robot compartments.`)}
        />
      )}
      {d.state === 'loaded' && (
        <div class="stepbox">
          <p>
            Loaded on robot <code>{short(d.robotId)}</code> in {Object.keys(d.compartments).join(', ')}.
          </p>
          <button
            class="primary"
            disabled={action.busy}
            onClick={() => void act(`/api/deliveries/${d.id}/dispatch`, undefined, 'Dispatched: follow the robot on the map.')}
          >
            Dispatch to {d.ward}
          </button>
        </div>
      )}
      {dispatched && (
        <p class="note">
          Mission <code>{short(d.missionId)}</code> · robot <code>{short(d.robotId)}</code> · dispatched {clock(d.dispatchedAt)}
        </p>
      )}
      {note && !action.error && (
        <p class="note" role="status">
          {note}
        </p>
      )}
      <Refusal error={action.error} />
    </div>
  );
}

function PickStep(props: {
  more: boolean;
  delivery: Delivery;
  catalog: Catalog;
  bump: unknown;
  busy: boolean;
  onPick: (orderId: string, barcode: string) => Promise<void>;
}) {
  const [orders] = usePolled<Order[]>('/api/orders?status=verified', props.bump, 20_000);
  const [orderId, setOrderId] = useState('');
  const forWard = orders.state === 'ok' ? orders.data.filter((o) => props.catalog.patients.get(o.patientId)?.ward === props.delivery.ward) : [];
  const chosen = forWard.find((o) => o.id === orderId) ?? forWard[0];
  const Box = props.more ? 'details' : 'div';
  return (
    <Box class="stepbox" open={props.more ? undefined : true}>
      {props.more && <summary>Scan another unit into this delivery</summary>}
      <OptionalState value={orders} what="verified orders">
        {() =>
          forWard.length === 0 ? (
            <Empty>No verified order for a patient on {props.delivery.ward}.</Empty>
          ) : (
            <>
              <label>
                Order
                <select aria-label="order" value={chosen?.id ?? ''} onChange={(e) => setOrderId((e.target as HTMLSelectElement).value)}>
                  {forWard.map((o) => (
                    <option key={o.id} value={o.id}>
                      {medName(props.catalog, o.medicationId)} — {o.dose.amount} {o.dose.unit} {o.route} · {patientName(props.catalog, o.patientId)}
                    </option>
                  ))}
                </select>
              </label>
              <ScanField
                label="pick scan"
                name="pick"
                placeholder="scan the unit (GS1 DataMatrix) and press Enter"
                button="Pick"
                disabled={props.busy || !chosen}
                onScan={(code) => chosen && props.onPick(chosen.id, code)}
              />
            </>
          )
        }
      </OptionalState>
    </Box>
  );
}

function CheckStep(props: { doses: Dose[]; catalog: Catalog; busy: boolean; onCheck: (witness: WitnessCredentials | null) => Promise<void> }) {
  const witness = useWitness();
  const picked = props.doses.filter((x) => x.state === 'picked');
  const highAlert = picked.filter((x) => props.catalog.meds.get(x.medicationId)?.highAlert);
  return (
    <form
      class="stepbox"
      onSubmit={(e) => {
        e.preventDefault();
        void props.onCheck(witness.value).then(witness.reset);
      }}
    >
      {witness.fields(`Witness: the second pharmacist signs${highAlert.length ? ` (required: ${highAlert.length} high-alert)` : ' (high-alert drugs only)'}`)}
      <button class="primary" type="submit" disabled={props.busy}>
        Check {picked.length} picked dose{picked.length === 1 ? '' : 's'}
      </button>
    </form>
  );
}

function LoadStep(props: {
  doses: Dose[];
  catalog: Catalog;
  busy: boolean;
  onLoad: (robotId: string, compartments: Record<string, string[]>) => Promise<void>;
}) {
  const [robots] = usePolled<RobotSummary[]>('/api/robots', null, 10_000);
  const [robotId, setRobotId] = useState('');
  const [assign, setAssign] = useState<Record<string, string>>({});
  const site = useSite();
  const docks = new Set((site?.nodes ?? []).filter((n) => n.kind === 'pharmacy_dock').map((n) => n.id));
  // only a robot standing at the pharmacy dock is loaded (the server refuses any other)
  const usable =
    robots.state === 'ok' ? robots.data.filter((r) => r.connection === 'ONLINE' && !r.stale && !r.driving && !!r.lastNodeId && docks.has(r.lastNodeId)) : [];
  const robot = usable.find((r) => r.id === robotId) ?? usable.find((r) => !r.mission) ?? usable[0];
  const slots = robot?.compartments ?? [];
  const compartmentOf = (doseId: string) => assign[doseId] ?? slots.find((c) => !c.loadId)?.compartmentId ?? slots[0]?.compartmentId ?? '';
  const submit = () => {
    if (!robot) return;
    const byCompartment: Record<string, string[]> = {};
    for (const x of props.doses) (byCompartment[compartmentOf(x.id)] ??= []).push(x.id);
    void props.onLoad(robot.id, byCompartment);
  };
  return (
    <div class="stepbox load">
      <OptionalState value={robots} what="robots">
        {() =>
          usable.length === 0 ? (
            <Empty>No robot is online at the pharmacy dock to carry this delivery.</Empty>
          ) : (
            <>
              <label>
                Robot
                <select aria-label="robot" value={robot?.id ?? ''} onChange={(e) => setRobotId((e.target as HTMLSelectElement).value)}>
                  {usable.map((r) => (
                    <option key={r.id} value={r.id}>
                      {r.name} ({r.serialNumber}) · {r.battery ? `${Math.round(r.battery.chargePct)}%` : 'battery ?'} ·{' '}
                      {r.mission ? `busy ${r.mission.status}` : 'idle'}
                    </option>
                  ))}
                </select>
              </label>
              {slots.length === 0 ? (
                <Empty>This robot reports no lockable compartments.</Empty>
              ) : (
                <table class="assign">
                  <thead>
                    <tr>
                      <th>dose</th>
                      <th>compartment</th>
                    </tr>
                  </thead>
                  <tbody>
                    {props.doses.map((x) => (
                      <tr key={x.id} data-dose={x.id}>
                        <td>
                          {medName(props.catalog, x.medicationId)} <span class="muted">· {patientName(props.catalog, x.patientId)}</span>
                        </td>
                        <td>
                          <select
                            aria-label={`compartment for dose ${short(x.id)}`}
                            value={compartmentOf(x.id)}
                            onChange={(e) => setAssign({ ...assign, [x.id]: (e.target as HTMLSelectElement).value })}
                          >
                            {slots.map((c) => (
                              <option key={c.compartmentId} value={c.compartmentId} disabled={!!c.loadId}>
                                {c.compartmentId}
                                {c.refrigerated ? ' (cold)' : ''}
                                {c.loadId ? ' · occupied' : ''}
                              </option>
                            ))}
                          </select>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              <button class="primary" disabled={props.busy || slots.length === 0} onClick={submit}>
                Seal into {robot?.serialNumber}
              </button>
            </>
          )
        }
      </OptionalState>
    </div>
  );
}

// ---- exceptions -------------------------------------------------------------------------------

const EXCEPTION_DOSE_STATES = new Set(['quarantined', 'receipt_discrepancy', 'lost']);
/** deliveries whose doses may be in exception; the newest are looked at (the list API is newest first) */
const LOOK_AT = 25;

/**
 * Doses in quarantine, receipt discrepancy or lost, read from the newest deliveries (the API
 * has no dose search by state: see the report).
 */
function useExceptionDoses(bump: unknown): Optional<{ delivery: Delivery; dose: Dose }[]> {
  const [value, setValue] = useState<Optional<{ delivery: Delivery; dose: Dose }[]>>({ state: 'loading' });
  useEffect(() => {
    let alive = true;
    const load = async () => {
      try {
        const all = (await api<Delivery[]>('GET', '/api/deliveries')).filter((d) => !['building', 'cancelled'].includes(d.state)).slice(0, LOOK_AT);
        const full = await Promise.all(all.map((d) => api<Delivery>('GET', `/api/deliveries/${d.id}`)));
        const out = full.flatMap((d) => (d.doses ?? []).filter((x) => EXCEPTION_DOSE_STATES.has(x.state)).map((dose) => ({ delivery: d, dose })));
        if (alive) setValue({ state: 'ok', data: out });
      } catch (err) {
        if (alive) setValue({ state: 'error', message: (err as Error).message });
      }
    };
    void load();
    const t = setInterval(() => void load(), 30_000);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, [bump]);
  return value;
}

export function CustodyExceptions(props: { bump: unknown; catalog: Catalog }) {
  const [failed, reloadFailed] = usePolled<Delivery[]>('/api/deliveries?state=failed', props.bump, 15_000);
  const [courier] = usePolled<Delivery[]>('/api/deliveries?state=escalated_manual', props.bump, 15_000);
  const doses = useExceptionDoses(props.bump);
  return (
    <>
      <h3>Failed deliveries</h3>
      <OptionalState value={failed} what="failed deliveries">
        {(list) =>
          list.length === 0 ? (
            <Empty>No failed delivery.</Empty>
          ) : (
            <ul class="list">
              {list.map((d) => (
                <FailedDelivery key={d.id} delivery={d} onDone={reloadFailed} />
              ))}
            </ul>
          )
        }
      </OptionalState>
      <h3>Doses quarantined, missing on receipt or lost</h3>
      <OptionalState value={doses} what="doses in exception">
        {(list) =>
          list.length === 0 ? (
            <Empty>No dose in quarantine, discrepancy or lost.</Empty>
          ) : (
            <ul class="doses">
              {list.map(({ delivery, dose }) => (
                <DoseRow key={dose.id} dose={dose} catalog={props.catalog}>
                  <span class="muted small">
                    delivery {short(delivery.id)} · {delivery.ward}
                  </span>
                </DoseRow>
              ))}
            </ul>
          )
        }
      </OptionalState>
      <h3>With a courier</h3>
      <OptionalState value={courier} what="deliveries handed to a courier">
        {(list) =>
          list.length === 0 ? (
            <Empty>No delivery is with a courier.</Empty>
          ) : (
            <ul class="list">
              {list.map((d) => (
                <li key={d.id} class="row" data-delivery={d.id}>
                  <strong>{short(d.id)}</strong> <StateTag state={d.state} /> <span>courier {d.courier}</span> <span class="muted">to {d.ward}</span>
                </li>
              ))}
            </ul>
          )
        }
      </OptionalState>
    </>
  );
}

function FailedDelivery(props: { delivery: Delivery; onDone: () => void }) {
  const d = props.delivery;
  const [open, setOpen] = useState(false);
  const [courier, setCourier] = useState('');
  const [reason, setReason] = useState('');
  const action = useAction();
  return (
    <li data-delivery={d.id} data-state={d.state}>
      <div class="row">
        <strong>Delivery {short(d.id)}</strong>
        <StateTag state={d.state} />
        <span class="muted">
          to {d.ward} · robot {short(d.robotId)} · {Object.values(d.compartments).flat().length} dose(s) aboard
        </span>
      </div>
      {open ? (
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            void action.run('POST', `/api/deliveries/${d.id}/escalate`, { courier: courier.trim(), reason: reason.trim() }).then((r) => r && props.onDone());
          }}
        >
          <input aria-label="courier" placeholder="courier (name or badge)" value={courier} onInput={(e) => setCourier((e.target as HTMLInputElement).value)} />
          <input aria-label="reason" placeholder="reason" value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
          <button class="primary" type="submit" disabled={action.busy || courier.trim().length < 2 || reason.trim().length < 3}>
            Hand over
          </button>
        </form>
      ) : (
        <div class="row">
          <button class="primary" onClick={() => setOpen(true)}>
            Escalate to courier
          </button>
        </div>
      )}
      <Refusal error={action.error} />
    </li>
  );
}
