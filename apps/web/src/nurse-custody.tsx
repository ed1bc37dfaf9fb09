/**
 * The ward side of custody at the nurse station: deliveries on their way (with the robot's
 * ETA), arrivals to open and receive compartment by compartment (session or badge + PIN,
 * then a keyboard-wedge receipt scan per dose), and the bedside five-rights check. Every scan
 * field can be replaced by a choice from the expected items (the doses of the opened
 * compartments, the ward's patients, the patient's received doses) with a reason: the server
 * checks the choice exactly as a scan and records it as a manual entry.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { LiveMission, LiveRobot } from '../../../libs/contracts/src/live/live.types';
import { ApiError, type Optional } from './api';
import {
  type Catalog,
  type Delivery,
  type Dose,
  DoseRow,
  medName,
  patientName,
  type PatientMedication,
  Refusal,
  ScanField,
  short,
  type Slot,
  StateTag,
  stateLabel,
  useAction,
  usePolled,
  when,
} from './custody';
import { nodeName, type Site } from './site';
import { clock, Empty, inMinutes, MissionList, OptionalState, Panel } from './ui';
import { useWitness } from './witness';
import { t } from './i18n/i18n';

const list = (v: Optional<Delivery[]>): Delivery[] => (v.state === 'ok' ? v.data : []);

// ---- manual entry (choose instead of scan) -------------------------------------------------

/** the reasons the server accepts for a manual entry (custody.dto.ts MANUAL_ENTRY_REASONS) */
const MANUAL_REASONS = ['scanner_unavailable', 'label_damaged', 'wristband_unreadable', 'other'] as const;
type ManualReason = (typeof MANUAL_REASONS)[number];
interface ManualChoice {
  reason: ManualReason | '';
  note: string;
}
const manualBody = (m: ManualChoice) => ({ reason: m.reason, ...(m.note.trim() ? { note: m.note.trim() } : {}) });

/** What the label says, for the person who cannot scan it: GTIN, lot, expiry, serial. */
function Gs1Line(props: { dose: Dose }) {
  const d = props.dose;
  return (
    <span class="muted mono small gs1" data-gtin={d.gtin ?? ''}>
      {t('manual.gs1', { gtin: d.gtin ?? '—', lot: d.lot ?? '—', expiry: d.expiry ?? '—', serial: d.serial ?? '—' })}
    </span>
  );
}

/** The reason (required) and an optional note of a manual entry. */
function ManualReasonFields(props: { value: ManualChoice; onChange: (m: ManualChoice) => void }) {
  return (
    <div class="row">
      <label>
        {t('manual.reason')}{' '}
        <select
          name="manual-reason"
          required
          value={props.value.reason}
          onChange={(e) => props.onChange({ ...props.value, reason: (e.target as HTMLSelectElement).value as ManualReason })}
        >
          <option value="">{t('manual.reasonPick')}</option>
          {MANUAL_REASONS.map((r) => (
            <option key={r} value={r}>
              {t(`manual.reason.${r}`)}
            </option>
          ))}
        </select>
      </label>
      <input
        name="manual-note"
        maxLength={200}
        placeholder={t('manual.note')}
        aria-label={t('manual.note')}
        value={props.value.note}
        onInput={(e) => props.onChange({ ...props.value, note: (e.target as HTMLInputElement).value })}
      />
    </div>
  );
}

/** At receipt: choose the dose in hand from the doses still to receive, with a reason. */
function ReceiptChooser(props: {
  doses: Dose[];
  catalog: Catalog;
  busy: boolean;
  onChoose: (m: { doseId: string; reason: ManualReason; note?: string }) => Promise<boolean>;
}) {
  const [doseId, setDoseId] = useState('');
  const [m, setM] = useState<ManualChoice>({ reason: '', note: '' });
  if (props.doses.length === 0) return null;
  return (
    <details class="manual" data-manual="receipt">
      <summary>{t('manual.chooseDose')}</summary>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          if (!doseId || !m.reason) return;
          void props.onChoose({ doseId, ...manualBody(m), reason: m.reason }).then((ok) => {
            if (!ok) return;
            setDoseId('');
            setM({ reason: m.reason, note: '' });
          });
        }}
      >
        <ul class="doses" role="radiogroup" aria-label={t('manual.chooseDose')}>
          {props.doses.map((d) => (
            <li key={d.id} class="dose-row" data-dose={d.id}>
              <label class="grow">
                <input type="radio" name="manual-dose" value={d.id} checked={doseId === d.id} onChange={() => setDoseId(d.id)} />{' '}
                <strong>{medName(props.catalog, d.medicationId)}</strong>
                <span class="muted"> · {patientName(props.catalog, d.patientId)}</span> <Gs1Line dose={d} />
              </label>
            </li>
          ))}
        </ul>
        <ManualReasonFields value={m} onChange={setM} />
        <button type="submit" disabled={props.busy || !doseId || !m.reason}>
          {t('manual.receiveChosen')}
        </button>
      </form>
    </details>
  );
}

/** The ward's deliveries in any of `states`, newest first (one GET per state: the API filters by one). */
function useDeliveries(ward: string, states: string[], bump: unknown): [Optional<Delivery[]>, () => void] {
  const q = (s: string) => `/api/deliveries?ward=${encodeURIComponent(ward)}&state=${s}`;
  const polls = states.map((s) => usePolled<Delivery[]>(q(s), bump, 10_000));
  const values = polls.map((p) => p[0]);
  const reload = () => polls.forEach((p) => p[1]());
  const failed = values.find((v) => v.state !== 'ok' && v.state !== 'loading');
  if (failed) return [failed, reload];
  if (values.some((v) => v.state === 'loading')) return [{ state: 'loading' }, reload];
  // one request per state: a delivery that moved on between two of them shows up in both, so
  // keep one entry per delivery, the one from the later state in `states`
  const byId = new Map<string, Delivery>();
  for (const v of values) for (const d of list(v)) byId.set(d.id, d);
  const all = [...byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return [{ state: 'ok', data: all }, reload];
}

// ---- incoming ----------------------------------------------------------------------------

export function IncomingDeliveries(props: {
  ward: string;
  bump: unknown;
  missions: LiveMission[];
  robots: Map<string, LiveRobot>;
  site: Site | null;
  now: number;
}) {
  const [value] = useDeliveries(props.ward, ['dispatched', 'in_transit'], props.bump);
  const deliveries = value.state === 'ok' ? value.data : [];
  const byMission = new Map(props.missions.map((m) => [m.id, m]));
  const carrying = new Set(deliveries.map((d) => d.missionId));
  // robots heading here on other errands (no custody delivery aboard)
  const others = props.missions.filter((m) => !carrying.has(m.id) && !(m.cargo as { deliveryId?: string } | null)?.deliveryId);
  return (
    <Panel title={t('panel.incoming')} count={deliveries.length + others.length} id="incoming">
      <OptionalState value={value} what={t('nurse.incoming')}>
        {() =>
          deliveries.length === 0 && others.length === 0 ? (
            <Empty>{t('nurse.noIncoming')}</Empty>
          ) : (
            <ul class="list">
              {deliveries.map((d) => {
                const m = d.missionId ? byMission.get(d.missionId) : undefined;
                const r = d.robotId ? props.robots.get(d.robotId) : undefined;
                const doses = Object.values(d.compartments).flat().length;
                return (
                  <li key={d.id} data-delivery={d.id} data-mission={d.missionId ?? ''} data-status={m?.status ?? ''}>
                    <div class="row">
                      <strong>{t('nurse.delivery', { id: short(d.id) })}</strong>
                      <StateTag state={d.state} />
                      <span class="spacer" />
                      <strong class="eta" data-eta={m?.eta ?? ''}>
                        {m ? (m.paused ? t('nurse.paused') : inMinutes(m.eta, props.now)) : t('eta.unknown')}
                      </strong>
                    </div>
                    <div class="row muted">
                      <span>{t('nurse.dosesIn', { count: doses, where: Object.keys(d.compartments).join(', ') || t('nurse.noCompartment') })}</span>
                      <span>{t('nurse.robot', { robot: r?.serialNumber ?? short(d.robotId) })}</span>
                      {r?.lastNodeId && <span>{t('nurse.near', { node: nodeName(props.site, r.lastNodeId) })}</span>}
                      <span>{t('nurse.sent', { at: clock(d.dispatchedAt) })}</span>
                    </div>
                  </li>
                );
              })}
            </ul>
          )
        }
      </OptionalState>
      {others.length > 0 && (
        <>
          {deliveries.length > 0 && <h3>{t('nurse.otherRobots')}</h3>}
          <MissionList missions={others} site={props.site} now={props.now} empty="" />
        </>
      )}
    </Panel>
  );
}

// ---- arrivals and receipt -----------------------------------------------------------------

interface Badge {
  gsrn: string;
  pin: string;
}

export function ArrivalsPanel(props: { ward: string; bump: unknown; catalog: Catalog }) {
  const [value, reload] = useDeliveries(props.ward, ['arrived', 'unlocked', 'escalated_manual'], props.bump);
  const [done, setDone] = useState<Delivery[]>([]);
  const [badge, setBadge] = useState<Badge | null>(null);
  const open = value.state === 'ok' ? value.data.filter((d) => !done.some((x) => x.id === d.id)) : [];
  return (
    <>
      {done.map((d) => (
        <ReceiptDone key={d.id} delivery={d} catalog={props.catalog} onDismiss={() => setDone(done.filter((x) => x.id !== d.id))} />
      ))}
      <OptionalState value={value} what={t('nurse.arrivals')}>
        {() =>
          open.length === 0 ? (
            <Empty>{t('nurse.noArrivals')}</Empty>
          ) : (
            <>
              <BadgeForm badge={badge} onChange={setBadge} />
              <ul class="list arrivals">
                {open.map((d) => (
                  <Arrival
                    key={d.id}
                    summary={d}
                    bump={props.bump}
                    catalog={props.catalog}
                    badge={badge}
                    onComplete={(x) => {
                      setDone([x, ...done]);
                      reload();
                    }}
                  />
                ))}
              </ul>
            </>
          )
        }
      </OptionalState>
    </>
  );
}

/** A shared terminal: the nurse identifies with her badge and PIN instead of the session. */
function BadgeForm(props: { badge: Badge | null; onChange: (b: Badge | null) => void }) {
  const [gsrn, setGsrn] = useState('');
  const [pin, setPin] = useState('');
  if (props.badge)
    return (
      <p class="badge-on row">
        <span>
          {t('nurse.unlockingAs')} <code>…{props.badge.gsrn.slice(-6)}</code>
        </span>
        <button onClick={() => props.onChange(null)}>{t('nurse.useSession')}</button>
      </p>
    );
  return (
    <details class="badge">
      <summary>{t('nurse.sharedTerminal')}</summary>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          props.onChange({ gsrn: gsrn.replace(/^\(8017\)/, '').trim(), pin });
          setPin('');
        }}
      >
        <input
          aria-label={t('nurse.badgeGsrn')}
          placeholder={t('nurse.scanBadge')}
          value={gsrn}
          inputMode="numeric"
          onInput={(e) => setGsrn((e.target as HTMLInputElement).value)}
        />
        <input
          aria-label="PIN"
          type="password"
          placeholder="PIN"
          inputMode="numeric"
          size={6}
          value={pin}
          onInput={(e) => setPin((e.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={!gsrn || pin.length < 4}>
          {t('nurse.useBadge')}
        </button>
      </form>
    </details>
  );
}

function Arrival(props: { summary: Delivery; bump: unknown; catalog: Catalog; badge: Badge | null; onComplete: (d: Delivery) => void }) {
  const id = props.summary.id;
  const [polled, reload] = usePolled<Delivery>(`/api/deliveries/${id}`, props.bump, 10_000);
  const [fresh, setFresh] = useState<Delivery | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const action = useAction();
  useEffect(() => setFresh(null), [polled]);
  const d = fresh ?? (polled.state === 'ok' ? polled.data : props.summary);
  const doses = d.doses ?? [];
  const opened = new Set(d.unlocks.map((u) => u.compartmentId));
  const courier = d.state === 'escalated_manual';
  const canScan = courier || opened.size > 0;
  const waiting = doses.filter((x) => x.state === 'arrived' || x.state === 'escalated_manual');
  const received = doses.filter((x) => x.state === 'received');
  const apply = (x: Delivery | null, msg: string | null) => {
    if (!x) return;
    setFresh(x);
    setNote(msg);
    reload();
  };
  // the server answers once the robot reports the compartment unlocked, or says why not
  // (the robot refused, or did not confirm in time): only a success reads "unlocked"
  const unlock = async (compartmentId: string) => {
    setNote(t('nurse.waitUnlock', { c: compartmentId }));
    const x = await action.run<Delivery>('POST', `/api/deliveries/${id}/unlock`, { compartmentId, ...(props.badge ? { badge: props.badge } : {}) });
    if (!x) setNote(null);
    apply(x, t('nurse.unlocked', { c: compartmentId }));
  };
  // a scanned code, or a dose chosen from the list with a reason (the same checks on the server)
  const receive = async (unit: string | { doseId: string; reason: ManualReason; note?: string }): Promise<boolean> => {
    setNote(null);
    const x = await action.run<Delivery>('POST', `/api/deliveries/${id}/receipt`, typeof unit === 'string' ? { barcode: unit } : { manual: unit });
    if (!x) return false;
    const before = new Set(doses.filter((y) => y.state === 'received').map((y) => y.id));
    const got = (x.doses ?? []).find((y) => y.state === 'received' && !before.has(y.id));
    apply(
      x,
      got
        ? t('nurse.receivedFor', { med: medName(props.catalog, got.medicationId), patient: patientName(props.catalog, got.patientId) })
        : t('nurse.scanRecorded'),
    );
    return true;
  };
  const complete = async () => {
    const x = await action.run<Delivery>('POST', `/api/deliveries/${id}/receipt/complete`);
    if (x) props.onComplete(x);
  };
  return (
    <li class="arrival" data-delivery={id} data-state={d.state}>
      <div class="row">
        <strong>{t('nurse.delivery', { id: short(id) })}</strong>
        <StateTag state={d.state} />
        <span class="muted">
          {courier ? t('nurse.byCourier', { who: d.courier ?? '' }) : t('nurse.robotArrived', { at: clock(d.arrivedAt) })} ·{' '}
          {t('nurse.receivedCount', { n: received.length, total: doses.length })}
        </span>
      </div>
      {Object.entries(d.compartments).map(([c, ids]) => (
        <div class="compartment" key={c} data-compartment={c} data-open={opened.has(c) ? 'yes' : 'no'}>
          <div class="row">
            <strong>{t('nurse.compartment', { c })}</strong>
            {opened.has(c) ? (
              <span class="tag ok">{t('nurse.unlockedBy', { who: d.unlocks.find((u) => u.compartmentId === c)?.by })}</span>
            ) : courier ? (
              <span class="muted">{t('nurse.handedOver')}</span>
            ) : (
              <>
                <span class="tag">{t('nurse.locked')}</span>
                <span class="spacer" />
                <button class="primary" disabled={action.busy} onClick={() => void unlock(c)} aria-label={`Unlock ${c}`}>
                  {t('nurse.unlock', { c })}
                </button>
              </>
            )}
          </div>
          <ul class="doses">
            {ids.map((doseId) => {
              const dose = doses.find((x) => x.id === doseId);
              return dose ? (
                <DoseRow key={doseId} dose={dose} catalog={props.catalog}>
                  <Gs1Line dose={dose} />
                </DoseRow>
              ) : (
                <li key={doseId} class="muted">
                  {t('nurse.doseShort', { id: short(doseId) })}
                </li>
              );
            })}
          </ul>
        </div>
      ))}
      {canScan ? (
        <>
          <ScanField
            label={t('nurse.receiptScan')}
            name="receipt"
            placeholder={t('nurse.receiptPlaceholder')}
            onScan={(code) => void receive(code)}
            autoFocus
            button={t('nurse.receive')}
          />
          <ReceiptChooser
            doses={waiting.filter((x) => courier || opened.has(x.compartmentId ?? ''))}
            catalog={props.catalog}
            busy={action.busy}
            onChoose={receive}
          />
        </>
      ) : (
        <p class="muted small">{t('nurse.unlockFirst')}</p>
      )}
      {note && !action.error && (
        <p class="note" role="status">
          {note}
        </p>
      )}
      <Refusal error={action.error} />
      {canScan && (
        <div class="row">
          <button class="primary" disabled={action.busy} onClick={() => void complete()}>
            {t('nurse.complete')}
          </button>
          {waiting.length > 0 && <span class="muted small">{t('nurse.notScanned', { count: waiting.length })}</span>}
        </div>
      )}
    </li>
  );
}

function ReceiptDone(props: { delivery: Delivery; catalog: Catalog; onDismiss: () => void }) {
  const d = props.delivery;
  const doses = d.doses ?? [];
  const missing = doses.filter((x) => x.state === 'receipt_discrepancy');
  return (
    <div class={`receipt-done ${missing.length ? 'warn' : 'ok'}`} data-receipt-done={d.id} role="status">
      <div class="row">
        <strong>{t('nurse.receiptDone', { id: short(d.id) })}</strong>
        <StateTag state={d.state} />
        <span class="spacer" />
        <button class="link-button" onClick={props.onDismiss}>
          {t('nurse.dismiss')}
        </button>
      </div>
      <div class="muted">
        {t('nurse.receiptSummary', { n: doses.length - missing.length, missing: missing.length ? t('nurse.receiptMissing', { n: missing.length }) : '' })}
      </div>
      <ul class="doses">
        {doses.map((x) => (
          <DoseRow key={x.id} dose={x} catalog={props.catalog} />
        ))}
      </ul>
    </div>
  );
}

// ---- bedside -------------------------------------------------------------------------------

interface AdministrationResult {
  dose: Dose;
  slot: Slot | null;
  rights: { right: string; pass: boolean; reason: string }[];
  flaggedForReview: boolean;
}

const OUTCOMES = ['given', 'held', 'refused'] as const;

export function BedsideForm(props: { catalog: Catalog; onDone?: () => void }) {
  const [wristband, setWristband] = useState('');
  const [dose, setDose] = useState('');
  const [outcome, setOutcome] = useState<(typeof OUTCOMES)[number]>('given');
  const [reason, setReason] = useState('');
  const [override, setOverride] = useState('');
  // what was actually given, typed by the nurse (never copied from the order: the dose and route rights compare the two)
  const [given, setGiven] = useState({ amount: '', unit: '', route: '' });
  const [wasted, setWasted] = useState({ amount: '', unit: '' });
  const witness = useWitness();
  // choose instead of scan: the patient from the ward's list, the dose from the patient's received doses
  const [chooseP, setChooseP] = useState(false);
  const [chooseD, setChooseD] = useState(false);
  const [patientId, setPatientId] = useState('');
  const [doseId, setDoseId] = useState('');
  const [manual, setManual] = useState<ManualChoice>({ reason: '', note: '' });
  const patients = [...props.catalog.patients.values()].sort((a, b) => (a.bed ?? '').localeCompare(b.bed ?? '', undefined, { numeric: true }));
  // the patient identified so far (chosen, or the one whose wristband was scanned), for her doses and her band
  const gsrn = /(\d{18})/.exec(wristband)?.[1];
  const who = chooseP ? props.catalog.patients.get(patientId) : patients.find((p) => p.wristbandGsrn === gsrn);
  const [mar] = usePolled<PatientMedication>(chooseD && who ? `/api/patients/${who.id}/medication` : null, null, 30_000);
  const choosable =
    mar.state === 'ok' && who && mar.data.patient.id === who.id ? mar.data.doses.filter((d) => d.state === 'received' || d.state === 'held') : [];
  const anyManual = chooseP || chooseD;
  const [result, setResult] = useState<AdministrationResult | null>(null);
  const action = useAction();
  const doseInput = useRef<HTMLInputElement>(null);
  const err = action.error instanceof ApiError ? action.error : null;
  const overridable = err?.code === 'five_rights_failed';
  const needsWitness = err?.code.startsWith('witness_') === true || witness.touched;
  const failed = (err?.details?.['failed'] as string[] | undefined) ?? [];
  const submit = async () => {
    setResult(null);
    const r = await action.run<AdministrationResult>('POST', '/api/administrations', {
      ...(chooseP ? {} : { wristband: wristband.trim() }),
      ...(chooseD ? {} : { dose: dose.replace(/[\r\n]+$/, '') }),
      ...(anyManual ? { manual: { ...(chooseP ? { patientId } : {}), ...(chooseD ? { doseId } : {}), ...manualBody(manual) } } : {}),
      outcome,
      ...(reason.trim() ? { reason: reason.trim() } : {}),
      ...(override.trim() && outcome === 'given' ? { override: { reason: override.trim() } } : {}),
      ...(outcome === 'given' ? { given: { amount: Number(given.amount), unit: given.unit.trim(), route: given.route.trim() } } : {}),
      ...(outcome === 'given' && wasted.amount.trim() ? { wasted: { amount: Number(wasted.amount), unit: (wasted.unit || given.unit).trim() } } : {}),
      ...(witness.value ? { witness: witness.value } : {}),
    });
    if (r) {
      setResult(r);
      setWristband('');
      setDose('');
      setPatientId('');
      setDoseId('');
      setManual({ reason: manual.reason, note: '' });
      setReason('');
      setOverride('');
      setGiven({ amount: '', unit: '', route: '' });
      setWasted({ amount: '', unit: '' });
      witness.reset();
      props.onDone?.();
    }
  };
  return (
    <div class="bedside">
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        {chooseP ? (
          <label>
            {t('manual.patient')}
            <select name="manual-patient" value={patientId} onChange={(e) => setPatientId((e.target as HTMLSelectElement).value)}>
              <option value="">{t('manual.patientPick')}</option>
              {patients.map((p) => (
                <option key={p.id} value={p.id}>
                  {t('manual.patientOption', { name: p.name, bed: p.bed ?? '—', mrn: p.mrn, wristband: p.wristbandGsrn })}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <label>
            {t('bedside.wristband')}
            <input
              name="wristband"
              placeholder={t('bedside.wristbandPlaceholder')}
              autoComplete="off"
              value={wristband}
              onInput={(e) => setWristband((e.target as HTMLInputElement).value)}
              onKeyDown={(e) => {
                // a wedge scanner ends with Enter: move on to the dose instead of submitting
                if (e.key === 'Enter') {
                  e.preventDefault();
                  doseInput.current?.focus();
                }
              }}
            />
          </label>
        )}
        <button type="button" class="link-button small" name="choose-patient" aria-pressed={chooseP} onClick={() => setChooseP(!chooseP)}>
          {chooseP ? t('manual.scanPatient') : t('manual.choosePatient')}
        </button>
        {who && (
          <p class="muted small" data-patient-identified={who.id}>
            {t('manual.identified', { name: who.name, bed: who.bed ?? '—', mrn: who.mrn, wristband: who.wristbandGsrn })}
          </p>
        )}
        {chooseD ? (
          <label>
            {t('manual.dose')}
            <select name="manual-dose" value={doseId} disabled={!who} onChange={(e) => setDoseId((e.target as HTMLSelectElement).value)}>
              <option value="">{who ? (choosable.length ? t('manual.dosePick') : t('manual.noDoses')) : t('manual.patientFirst')}</option>
              {choosable.map((d) => (
                <option key={d.id} value={d.id}>
                  {t('manual.doseOption', {
                    med: medName(props.catalog, d.medicationId),
                    gtin: d.gtin ?? '—',
                    lot: d.lot ?? '—',
                    expiry: d.expiry ?? '—',
                    serial: d.serial ?? '—',
                  })}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <label>
            {t('bedside.dose')}
            <input
              ref={doseInput}
              name="dose"
              placeholder={t('bedside.dosePlaceholder')}
              autoComplete="off"
              value={dose}
              onInput={(e) => setDose((e.target as HTMLInputElement).value)}
            />
          </label>
        )}
        <button type="button" class="link-button small" name="choose-dose" aria-pressed={chooseD} onClick={() => setChooseD(!chooseD)}>
          {chooseD ? t('manual.scanDose') : t('manual.chooseDoseBedside')}
        </button>
        {anyManual && <ManualReasonFields value={manual} onChange={setManual} />}
        <div class="row outcome" role="radiogroup" aria-label={t('bedside.outcome')}>
          {OUTCOMES.map((o) => (
            <label key={o} class={`pill ${outcome === o ? 'on' : ''}`}>
              <input type="radio" name="outcome" value={o} checked={outcome === o} onChange={() => setOutcome(o)} />
              {stateLabel(o)}
            </label>
          ))}
        </div>
        {outcome === 'given' && (
          <fieldset class="row given">
            <legend>{t('bedside.given')}</legend>
            <input
              name="given-amount"
              inputMode="decimal"
              placeholder={t('bedside.amount')}
              aria-label={t('bedside.amountGiven')}
              value={given.amount}
              onInput={(e) => setGiven({ ...given, amount: (e.target as HTMLInputElement).value })}
            />
            <input
              name="given-unit"
              placeholder={t('bedside.unitPlaceholder')}
              aria-label={t('bedside.unitGiven')}
              value={given.unit}
              onInput={(e) => setGiven({ ...given, unit: (e.target as HTMLInputElement).value })}
            />
            <input
              name="given-route"
              placeholder={t('bedside.routePlaceholder')}
              aria-label={t('bedside.routeGiven')}
              value={given.route}
              onInput={(e) => setGiven({ ...given, route: (e.target as HTMLInputElement).value })}
            />
          </fieldset>
        )}
        {outcome === 'given' && (
          <fieldset class="row wasted">
            <legend>{t('bedside.wasted')}</legend>
            <input
              name="wasted-amount"
              inputMode="decimal"
              placeholder={t('bedside.amount')}
              aria-label={t('bedside.amountWasted')}
              value={wasted.amount}
              onInput={(e) => setWasted({ ...wasted, amount: (e.target as HTMLInputElement).value })}
            />
            <input
              name="wasted-unit"
              placeholder={given.unit || t('bedside.unit')}
              aria-label={t('bedside.unitWasted')}
              value={wasted.unit}
              onInput={(e) => setWasted({ ...wasted, unit: (e.target as HTMLInputElement).value })}
            />
          </fieldset>
        )}
        {outcome !== 'given' && (
          <label>
            {t('bedside.reason', { outcome: stateLabel(outcome) })}
            <input name="reason" required minLength={3} value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
          </label>
        )}
        {overridable && outcome === 'given' && (
          <label class="override">
            {t('bedside.overrideReason')}
            <input name="override" minLength={3} value={override} onInput={(e) => setOverride((e.target as HTMLInputElement).value)} />
          </label>
        )}
        {needsWitness && witness.fields(t('bedside.witnessLegend'))}
        <button
          class="primary"
          type="submit"
          disabled={
            action.busy ||
            (chooseP ? !patientId : !wristband.trim()) ||
            (chooseD ? !doseId : !dose.trim()) ||
            (anyManual && !manual.reason) ||
            (outcome === 'given' && !(Number(given.amount) > 0 && given.unit.trim() && given.route.trim()))
          }
        >
          {t('bedside.submit')}
        </button>
      </form>
      {err && (
        <div class="refused" data-result="refused" data-code={err.code}>
          <Refusal error={err} />
          {failed.length > 0 && (
            <div class="rights">
              {['patient', 'drug', 'dose', 'route', 'time'].map((r) => (
                <span key={r} class={`right ${failed.includes(r) ? 'fail' : 'unknown'}`}>
                  {failed.includes(r) ? '✗' : '·'} {t(`right.${r}`)}
                </span>
              ))}
            </div>
          )}
        </div>
      )}
      {!err && action.error != null && <Refusal error={action.error} />}
      {result && (
        <div class="result ok" data-result="recorded" role="status">
          <div class="row">
            <StateTag state={result.dose.state} />
            <strong>{medName(props.catalog, result.dose.medicationId)}</strong>
            <span class="muted">{patientName(props.catalog, result.dose.patientId)}</span>
          </div>
          <div class="rights">
            {result.rights.map((r) => (
              <span key={r.right} class={`right ${r.pass ? 'pass' : 'fail'}`} title={r.reason}>
                {r.pass ? '✓' : '✗'} {t(`right.${r.right}`, { defaultValue: r.right })}
              </span>
            ))}
          </div>
          {result.flaggedForReview && <p class="tag warn">{t('bedside.flagged')}</p>}
          {result.slot && (
            <span class="muted small">{t('bedside.slotRecorded', { at: when(result.slot.scheduledAt), state: stateLabel(result.slot.state) })}</span>
          )}
        </div>
      )}
    </div>
  );
}
