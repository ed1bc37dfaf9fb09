/**
 * The medication administration record of a ward: each patient's administration slots from
 * GET /api/patients/:id/medication. The nurse sees what needs her now (due, late, missed);
 * the ward-round pharmacist sees every slot and opens a dose's custody timeline from it.
 * "Late" is a due slot past its scheduled time (the server moves it to missed once its
 * window closes).
 */
import type { Optional } from './api';
import { type Catalog, type Dose, medName, type Patient, type PatientMedication, type Slot, StateTag, usePolled, when } from './custody';
import { Empty, OptionalState } from './ui';
import { t } from './i18n/i18n';

const NEEDS_NURSE = new Set(['due', 'missed']);
/** what the slot's dose is doing, in the words a nurse uses (`mar.where.*`) */
const doseWhere = (state: string) => t(`mar.where.${state}`, { defaultValue: state.replace(/_/g, ' ') });

export function slotStatus(s: Slot, now: number): string {
  return s.state === 'due' && Date.parse(s.scheduledAt) < now ? 'late' : s.state;
}

export function WardMedication(props: {
  ward: string;
  bump: unknown;
  catalog: Catalog;
  now: number;
  mode: 'nurse' | 'rounds';
  onDose?: (doseId: string) => void;
}) {
  const [patients] = usePolled<Patient[]>(`/api/patients?ward=${encodeURIComponent(props.ward)}`, props.bump);
  return (
    <OptionalState value={patients} what={t('mar.patients')}>
      {(list) =>
        list.length === 0 ? (
          <Empty>{t('mar.noPatients')}</Empty>
        ) : (
          <ul class="list patients">
            {list.map((p) => (
              <PatientRecord key={p.id} patient={p} {...props} />
            ))}
          </ul>
        )
      }
    </OptionalState>
  );
}

function PatientRecord(props: { patient: Patient; bump: unknown; catalog: Catalog; now: number; mode: 'nurse' | 'rounds'; onDose?: (doseId: string) => void }) {
  const p = props.patient;
  const [mar] = usePolled<PatientMedication>(`/api/patients/${p.id}/medication`, props.bump, 30_000);
  return (
    <li data-patient={p.id}>
      <div class="row">
        <strong>{p.name}</strong>
        <span class="muted">
          {p.bed ? t('mar.bedMrn', { bed: p.bed }) : ''}
          {t('mar.mrn', { mrn: p.mrn })}
        </span>
      </div>
      <Slots value={mar} {...props} />
    </li>
  );
}

function Slots(props: { value: Optional<PatientMedication>; catalog: Catalog; now: number; mode: 'nurse' | 'rounds'; onDose?: (doseId: string) => void }) {
  return (
    <OptionalState value={props.value} what={t('mar.medication')}>
      {(m) => {
        const doses = new Map(m.doses.map((d) => [d.id, d]));
        const shown = props.mode === 'nurse' ? m.slots.filter((s) => NEEDS_NURSE.has(s.state)) : m.slots;
        const later = m.slots.filter((s) => s.state === 'scheduled');
        if (m.slots.length === 0) return <span class="muted">{t('mar.noMedication')}</span>;
        return (
          <>
            {shown.length === 0 ? (
              <span class="muted">{t('mar.nothingDue')}</span>
            ) : (
              <ul class="slots">
                {shown.map((s) => (
                  <SlotRow key={s.id} slot={s} dose={s.doseId ? doses.get(s.doseId) : undefined} {...props} />
                ))}
              </ul>
            )}
            {props.mode === 'nurse' && later.length > 0 && (
              <span class="muted small">
                {t('mar.nextScheduled', { at: when(later[0]!.scheduledAt) })}
                {later.length > 1 ? t('mar.more', { n: later.length - 1 }) : ''}
              </span>
            )}
          </>
        );
      }}
    </OptionalState>
  );
}

function SlotRow(props: { slot: Slot; dose: Dose | undefined; catalog: Catalog; now: number; onDose?: (doseId: string) => void }) {
  const s = props.slot;
  const status = slotStatus(s, props.now);
  const d = props.dose;
  return (
    <li class={`slot ${status}`} data-slot={s.id} data-status={status}>
      <span class="time">{when(s.scheduledAt)}</span>
      <StateTag state={status} />
      <span class="grow">
        <strong>{d ? medName(props.catalog, d.medicationId) : t('mar.dose')}</strong>
        {d && <span class="muted"> · {doseWhere(d.state)}</span>}
        {s.reason && <span class="muted"> · “{s.reason}”</span>}
        {s.override && <span class="tag warn">{t('mar.override')}</span>}
      </span>
      {d && props.onDose && (
        <button class="link-button" onClick={() => props.onDose!(d.id)} aria-label={t('mar.timelineOf', { id: d.id.slice(0, 8) })}>
          {t('mar.timeline')}
        </button>
      )}
    </li>
  );
}
