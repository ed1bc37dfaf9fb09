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
  ScanField,
  short,
  StateTag,
  useAction,
  usePolled,
  when,
} from './custody';
import { formatWhen, t } from './i18n/i18n';
import { type FleetRobot, heldCompartments, loadability, type LoadableRobot } from './robot-loading';
import { type Site, useSite } from './site';
import { clock, Empty, OptionalState } from './ui';
import { useWitness, type WitnessCredentials } from './witness';

const priorityWord = (p: string) => t(`priority.${p}`, { defaultValue: p });
const doseText = (o: Order) => t('ph.orderDose', { amount: o.dose.amount, unit: o.dose.unit, route: o.route });

// ---- orders to verify -----------------------------------------------------------------------

export function OrdersToVerify(props: { bump: unknown; catalog: Catalog }) {
  const [value, reload] = usePolled<Order[]>('/api/orders?status=active', props.bump, 10_000);
  return (
    <OptionalState value={value} what={t('ph.ordersToVerify')}>
      {(list) =>
        list.length === 0 ? (
          <Empty>{t('ph.noOrders')}</Empty>
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
        <span class={`prio ${o.priority}`} data-priority={o.priority}>
          {priorityWord(o.priority)}
        </span>
        <strong>{medName(props.catalog, o.medicationId)}</strong>
        <span>{doseText(o)}</span>
        {med?.highAlert && <span class="tag warn">{t('ph.highAlert')}</span>}
        {med?.controlled && <span class="tag warn">{t('ph.controlled')}</span>}
        {med?.refrigerated && <span class="tag">{t('ph.fridge')}</span>}
        <span class="spacer" />
        {/* two orders of the same drug for the same patient read alike: the id and entry time tell them apart */}
        <code class="muted" data-order-id={short(o.id)}>
          #{short(o.id)}
        </code>
      </div>
      <div class="muted small">
        {patient
          ? t('ph.patientOnWard', { name: patient.name, ward: patient.ward, bed: patient.bed ? t('custody.bed', { bed: patient.bed }) : '' })
          : patientName(props.catalog, o.patientId)}{' '}
        · {t('ph.dueAt', { times: o.schedule.times.map(when).join(t('ph.listSep')) })} · {t('ph.prescribedBy', { who: o.prescriber ?? '—' })} ·{' '}
        <span data-order-entered={o.createdAt}>{t('ph.entered', { at: formatWhen(o.createdAt) })}</span>
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
            aria-label={t('ph.rejectReasonLabel')}
            placeholder={t('ph.rejectReasonPlaceholder')}
            value={reason}
            onInput={(e) => setReason((e.target as HTMLInputElement).value)}
          />
          <button class="danger" type="submit" disabled={action.busy || reason.trim().length < 3}>
            {t('ph.reject')}
          </button>
          <button type="button" onClick={() => setRejecting(false)}>
            {t('ph.cancel')}
          </button>
        </form>
      ) : (
        <div class="row">
          <button class="primary" disabled={action.busy} onClick={() => void post(`/api/orders/${o.id}/verify`)}>
            {t('ph.verify')}
          </button>
          <button disabled={action.busy} onClick={() => setRejecting(true)}>
            {t('ph.rejectOpen')}
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
          {t('ph.destinationWard')}{' '}
          <select aria-label={t('ph.destinationWardLabel')} value={ward} onChange={(e) => setWard((e.target as HTMLSelectElement).value)}>
            {props.site.wards.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name} ({w.id})
              </option>
            ))}
          </select>
        </label>
        <button class="primary" type="submit" disabled={action.busy || !ward}>
          {t('ph.createDelivery')}
        </button>
      </form>
      <Refusal error={action.error} />
      {resumable.length > 0 && (
        <>
          <h3>{t('ph.stillBuilding')}</h3>
          <ul class="list">
            {resumable.map((d) => (
              <li key={d.id} class="row" data-resume={d.id}>
                <strong>{short(d.id)}</strong> <StateTag state={d.state} /> <span class="muted">{t('ph.toWard', { ward: d.ward })}</span>{' '}
                <span class="muted">{formatWhen(d.createdAt)}</span>
                <span class="spacer" />
                <button onClick={() => setDeliveryId(d.id)}>{t('ph.resume')}</button>
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
        <li key={s} class={j < i || props.done ? 'done' : j === i ? 'now' : ''} data-step-name={s}>
          {t(`ph.step.${s}`)}
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
      <OptionalState value={polled as Optional<unknown>} what={t('ph.theDelivery')}>
        {() => null}
      </OptionalState>
    );
  const step = stepOf(d);
  const doses = d.doses ?? [];
  const dispatched = !['building', 'loaded'].includes(d.state);
  return (
    <div class="build" data-delivery={d.id} data-step={dispatched ? 'dispatched' : step}>
      <div class="row">
        <strong>{t('ph.delivery', { id: short(d.id) })}</strong>
        <StateTag state={d.state} />
        <span class="muted">{t('ph.toWard', { ward: d.ward })}</span>
        <span class="spacer" />
        <button class="link-button" onClick={props.onClose}>
          {dispatched ? t('ph.buildAnother') : t('ph.close')}
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
          onPick={(orderId, barcode) => act(`/api/deliveries/${d.id}/picks`, { orderId, barcode }, t('ph.picked'))}
        />
      )}
      {d.state === 'building' && doses.some((x) => x.state === 'picked') && (
        <CheckStep
          doses={doses}
          catalog={props.catalog}
          busy={action.busy}
          onCheck={(witness) => act(`/api/deliveries/${d.id}/check`, witness ? { witness } : {}, t('ph.checked'))}
        />
      )}
      {d.state === 'building' && step === 'load' && (
        <LoadStep
          deliveryId={d.id}
          doses={doses.filter((x) => x.state === 'checked')}
          catalog={props.catalog}
          busy={action.busy}
          onLoad={(robotId, compartments) => act(`/api/deliveries/${d.id}/load`, { robotId, compartments }, t('ph.sealed'))}
        />
      )}
      {d.state === 'loaded' && (
        <div class="stepbox">
          <p>{t('ph.loadedOn', { robot: short(d.robotId), compartments: Object.keys(d.compartments).join(t('ph.listSep')) })}</p>
          <button class="primary" disabled={action.busy} onClick={() => void act(`/api/deliveries/${d.id}/dispatch`, undefined, t('ph.dispatched'))}>
            {t('ph.dispatchTo', { ward: d.ward })}
          </button>
        </div>
      )}
      {dispatched && (
        <p class="note">
          {t('ph.mission')} <code>{short(d.missionId)}</code> · {t('ph.robot')} <code>{short(d.robotId)}</code> ·{' '}
          {t('ph.dispatchedAt', { at: clock(d.dispatchedAt) })}
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
      {props.more && <summary>{t('ph.pickAnother')}</summary>}
      <OptionalState value={orders} what={t('ph.verifiedOrders')}>
        {() =>
          forWard.length === 0 ? (
            <Empty>{t('ph.noVerified', { ward: props.delivery.ward })}</Empty>
          ) : (
            <>
              <label>
                {t('ph.order')}
                <select aria-label={t('ph.orderLabel')} value={chosen?.id ?? ''} onChange={(e) => setOrderId((e.target as HTMLSelectElement).value)}>
                  {forWard.map((o) => (
                    <option key={o.id} value={o.id}>
                      {orderLine(props.catalog, o)}
                    </option>
                  ))}
                </select>
              </label>
              <ScanField
                label={t('ph.pickScanLabel')}
                name="pick"
                placeholder={t('ph.pickScanPlaceholder')}
                button={t('ph.pick')}
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

/**
 * One verified order as the pick list shows it: drug, dose, patient, and what tells two orders of
 * the same drug apart — its priority, when it is due (site time) and a short id.
 */
function orderLine(c: Catalog, o: Order): string {
  return t('ph.orderLine', {
    med: medName(c, o.medicationId),
    dose: doseText(o),
    patient: patientName(c, o.patientId),
    priority: priorityWord(o.priority),
    due: o.schedule.times[0] ? when(o.schedule.times[0]) : '—',
    id: short(o.id),
  });
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
      {witness.fields(highAlert.length ? t('ph.witnessRequired', { count: highAlert.length }) : t('ph.witnessOptional'))}
      <button class="primary" type="submit" disabled={props.busy}>
        {t('ph.checkPicked', { count: picked.length })}
      </button>
    </form>
  );
}

function LoadStep(props: {
  deliveryId: string;
  doses: Dose[];
  catalog: Catalog;
  busy: boolean;
  onLoad: (robotId: string, compartments: Record<string, string[]>) => Promise<void>;
}) {
  const [robots] = usePolled<FleetRobot[]>('/api/robots', null, 10_000);
  // compartments other deliveries still hold aboard a robot (the gate refuses them as reserved)
  const [deliveries] = usePolled<Delivery[]>('/api/deliveries', null, 10_000);
  const [robotId, setRobotId] = useState('');
  const [assign, setAssign] = useState<Record<string, string>>({});
  const site = useSite();
  const cold = (x: Dose) => props.catalog.meds.get(x.medicationId)?.refrigerated === true;
  const needsCold = props.doses.some(cold);
  const held = heldCompartments(deliveries.state === 'ok' ? deliveries.data : [], props.deliveryId);
  const verdicts = robots.state === 'ok' && site ? robots.data.map((r) => ({ r, v: loadability(r, site, held, needsCold) })) : [];
  const usable: LoadableRobot[] = verdicts.flatMap(({ v }) => (v.ok ? [v.value] : []));
  const notOffered = verdicts.flatMap(({ r, v }) => (v.ok ? [] : [{ r, why: v.why }]));
  // no robot chosen for the pharmacist unless exactly one qualifies: sealing into the wrong one means unloading it again
  const chosen = usable.find((x) => x.robot.id === robotId) ?? (usable.length === 1 ? usable[0] : undefined);
  const free = chosen?.free ?? [];
  const fits = (x: Dose, c: { refrigerated: boolean }) => !cold(x) || c.refrigerated;
  const compartmentOf = (x: Dose) => {
    const picked = assign[x.id];
    if (picked && free.some((c) => c.compartmentId === picked)) return picked;
    // a cold dose into a refrigerated compartment, the others into an unrefrigerated one first (keep the cold ones free)
    return (free.find((c) => fits(x, c) && c.refrigerated === cold(x)) ?? free.find((c) => fits(x, c)))?.compartmentId ?? '';
  };
  const complete = !!chosen && props.doses.every((x) => compartmentOf(x) !== '');
  const submit = () => {
    if (!chosen || !complete) return;
    const byCompartment: Record<string, string[]> = {};
    for (const x of props.doses) (byCompartment[compartmentOf(x)] ??= []).push(x.id);
    void props.onLoad(chosen.robot.id, byCompartment);
  };
  const battery = (r: FleetRobot) => (r.battery ? `${Math.round(r.battery.chargePct)}%` : t('ph.batteryUnknown'));
  const freeText = (x: LoadableRobot) =>
    x.free.map((c) => (c.refrigerated ? t('ph.compartmentCold', { c: c.compartmentId }) : c.compartmentId)).join(t('ph.listSep'));
  return (
    <div class="stepbox load">
      <OptionalState value={robots} what={t('ph.robots')}>
        {() =>
          usable.length === 0 ? (
            <Empty>{needsCold ? t('ph.noRobotCold') : t('ph.noRobot')}</Empty>
          ) : (
            <>
              <label>
                {t('ph.robotLabel')}
                <select aria-label={t('ph.robotAria')} value={chosen?.robot.id ?? ''} onChange={(e) => setRobotId((e.target as HTMLSelectElement).value)}>
                  {!chosen && (
                    <option value="" disabled>
                      {t('ph.chooseRobot', { count: usable.length })}
                    </option>
                  )}
                  {usable.map((x) => (
                    <option key={x.robot.id} value={x.robot.id} data-free={x.free.map((c) => c.compartmentId).join(',')}>
                      {t('ph.robotOption', { name: x.robot.name, serial: x.robot.serialNumber, battery: battery(x.robot), free: freeText(x) })}
                    </option>
                  ))}
                </select>
              </label>
              {needsCold && <p class="muted small">{t('ph.coldNote')}</p>}
              {chosen && (
                <table class="assign">
                  <thead>
                    <tr>
                      <th>{t('ph.dose')}</th>
                      <th>{t('ph.compartment')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {props.doses.map((x) => (
                      <tr key={x.id} data-dose={x.id}>
                        <td>
                          {medName(props.catalog, x.medicationId)} <span class="muted">· {patientName(props.catalog, x.patientId)}</span>
                          {cold(x) && <span class="tag">{t('ph.fridge')}</span>}
                        </td>
                        <td>
                          <select
                            aria-label={t('ph.compartmentFor', { id: short(x.id) })}
                            value={compartmentOf(x)}
                            onChange={(e) => setAssign({ ...assign, [x.id]: (e.target as HTMLSelectElement).value })}
                          >
                            {free.map((c) => (
                              <option key={c.compartmentId} value={c.compartmentId} disabled={!fits(x, c)}>
                                {c.refrigerated ? t('ph.compartmentCold', { c: c.compartmentId }) : c.compartmentId}
                              </option>
                            ))}
                          </select>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              <button class="primary" disabled={props.busy || !complete} onClick={submit}>
                {chosen ? t('ph.sealInto', { robot: chosen.robot.serialNumber }) : t('ph.sealChoose')}
              </button>
            </>
          )
        }
      </OptionalState>
      {notOffered.length > 0 && (
        <details class="muted small" data-not-offered={notOffered.length}>
          <summary>{t('ph.notOffered', { count: notOffered.length })}</summary>
          <ul>
            {notOffered.map(({ r, why }) => (
              <li key={r.id} data-robot-not-offered={r.id} data-why={why}>
                {r.name} ({r.serialNumber}): {t(`ph.why.${why}`)}
              </li>
            ))}
          </ul>
        </details>
      )}
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
    const timer = setInterval(() => void load(), 30_000);
    return () => {
      alive = false;
      clearInterval(timer);
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
      <h3>{t('ph.failedDeliveries')}</h3>
      <OptionalState value={failed} what={t('ph.failedDeliveriesWhat')}>
        {(list) =>
          list.length === 0 ? (
            <Empty>{t('ph.noFailed')}</Empty>
          ) : (
            <ul class="list">
              {list.map((d) => (
                <FailedDelivery key={d.id} delivery={d} onDone={reloadFailed} />
              ))}
            </ul>
          )
        }
      </OptionalState>
      <h3>{t('ph.exceptionDoses')}</h3>
      <OptionalState value={doses} what={t('ph.exceptionDosesWhat')}>
        {(list) =>
          list.length === 0 ? (
            <Empty>{t('ph.noExceptionDoses')}</Empty>
          ) : (
            <ul class="doses">
              {list.map(({ delivery, dose }) => (
                <DoseRow key={dose.id} dose={dose} catalog={props.catalog}>
                  <span class="muted small">{t('ph.deliveryOnWard', { id: short(delivery.id), ward: delivery.ward })}</span>
                </DoseRow>
              ))}
            </ul>
          )
        }
      </OptionalState>
      <h3>{t('ph.withCourier')}</h3>
      <OptionalState value={courier} what={t('ph.withCourierWhat')}>
        {(list) =>
          list.length === 0 ? (
            <Empty>{t('ph.noCourier')}</Empty>
          ) : (
            <ul class="list">
              {list.map((d) => (
                <li key={d.id} class="row" data-delivery={d.id}>
                  <strong>{short(d.id)}</strong> <StateTag state={d.state} /> <span>{t('ph.courier', { who: d.courier })}</span>{' '}
                  <span class="muted">{t('ph.toWard', { ward: d.ward })}</span>
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
        <strong>{t('ph.delivery', { id: short(d.id) })}</strong>
        <StateTag state={d.state} />
        <span class="muted">
          {t('ph.toWard', { ward: d.ward })} · {t('ph.robot')} {short(d.robotId)} · {t('ph.aboard', { count: Object.values(d.compartments).flat().length })}
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
          <input
            aria-label={t('ph.courierLabel')}
            placeholder={t('ph.courierPlaceholder')}
            value={courier}
            onInput={(e) => setCourier((e.target as HTMLInputElement).value)}
          />
          <input
            aria-label={t('ph.reasonLabel')}
            placeholder={t('ph.reasonLabel')}
            value={reason}
            onInput={(e) => setReason((e.target as HTMLInputElement).value)}
          />
          <button class="primary" type="submit" disabled={action.busy || courier.trim().length < 2 || reason.trim().length < 3}>
            {t('ph.handOver')}
          </button>
        </form>
      ) : (
        <div class="row">
          <button class="primary" onClick={() => setOpen(true)}>
            {t('ph.escalate')}
          </button>
        </div>
      )}
      <Refusal error={action.error} />
    </li>
  );
}
