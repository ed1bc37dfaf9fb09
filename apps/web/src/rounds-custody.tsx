/**
 * The ward-round pharmacist's custody views: the audit chain's verification, a dose's custody
 * timeline with each event's hash link to the one before, and overrides to review.
 */
import { useState } from 'preact/hooks';
import {
  type AuditReport,
  type Catalog,
  type CustodyEvent,
  medName,
  type OverridesPage,
  type OverrideToReview,
  patientName,
  Refusal,
  StateTag,
  stateLabel,
  useAction,
  usePolled,
  when,
  type Dose,
} from './custody';
import { t } from './i18n/i18n';
import { clock, Empty, OptionalState } from './ui';

/** `robot:<device id>:C1` reads as `robot …60e3 C1` */
const place = (loc: string) => {
  const m = /^robot:([^:]+)(?::(.+))?$/.exec(loc);
  return m ? t('rounds.placeRobot', { tail: m[1]!.slice(-4), compartment: m[2] ? ` ${m[2]}` : '' }) : loc;
};

/** a custody action as a person reads it (`action.*`), the raw word when the catalogue lacks it */
const actionWord = (a: string) => t(`action.${a}`, { defaultValue: a.replace(/_/g, ' ') });

const h = (hash: string | null | undefined) => (hash ? hash.slice(0, 8) : '—');

export function AuditStatus(props: { bump: unknown }) {
  const [value] = usePolled<AuditReport>('/api/audit/verify', props.bump, 60_000);
  return (
    <OptionalState value={value} what={t('rounds.auditChain')}>
      {(r) =>
        r.ok ? (
          <p class="audit ok" data-audit="ok">
            <strong>✓ {t('rounds.chainIntact')}</strong>{' '}
            <span class="muted">
              {t('rounds.chainEvents', { count: r.events, seq: r.head?.seq ?? 0 })} <code>{h(r.head?.hash)}</code>
            </span>
          </p>
        ) : (
          <p class="audit bad" data-audit="broken" role="alert">
            <strong>✗ {t('rounds.chainBroken', { seq: r.brokenAt?.seq })}</strong>{' '}
            <span>{r.brokenAt && t(`rounds.break.${r.brokenAt.reason}`, { defaultValue: r.brokenAt.reason.replace(/_/g, ' ') })}</span>
            <span class="muted"> {r.brokenAt?.detail}</span>
          </p>
        )
      }
    </OptionalState>
  );
}

/** A link is checked here too: an event right after another in the chain must carry its hash. */
function linkOf(e: CustodyEvent, prev: CustodyEvent | undefined): { label: string; ok: boolean | null } {
  if (!prev || prev.seq !== e.seq - 1) return { label: `← #${e.seq - 1} ${h(e.prevHash)}`, ok: null };
  return prev.hash === e.prevHash ? { label: `← ${h(e.prevHash)}`, ok: true } : { label: `← ${h(e.prevHash)} ≠ ${h(prev.hash)}`, ok: false };
}

const describe = (e: CustodyEvent): string | null => {
  const ev = e.evidence;
  if (typeof ev['reason'] === 'string') return ev['reason'];
  if (typeof ev['code'] === 'string') return ev['code'].replace(/_/g, ' ');
  if (typeof ev['witness'] === 'string') return t('rounds.witness', { who: ev['witness'] });
  return null;
};

export function DoseTimeline(props: { doseId: string; catalog: Catalog; onClose: () => void }) {
  const [value] = usePolled<{ dose: Dose; events: CustodyEvent[] }>(`/api/doses/${encodeURIComponent(props.doseId)}/timeline`, props.doseId, 30_000);
  return (
    <div class="timeline" data-timeline={props.doseId}>
      <div class="row">
        <strong>{t('rounds.dose', { id: props.doseId.slice(0, 8) })}</strong>
        <span class="spacer" />
        <button onClick={props.onClose}>{t('rounds.close')}</button>
      </div>
      <OptionalState value={value} what={t('rounds.timelineWhat')}>
        {(tl) => (
          <>
            <div class="row muted small">
              <StateTag state={tl.dose.state} /> {medName(props.catalog, tl.dose.medicationId)} · {patientName(props.catalog, tl.dose.patientId)}
              {tl.dose.serial && <span class="mono"> · SN {tl.dose.serial}</span>}
            </div>
            {tl.events.length === 0 ? (
              <Empty>{t('rounds.noEvents')}</Empty>
            ) : (
              <ol class="events">
                {tl.events.map((e, i) => {
                  const link = linkOf(e, tl.events[i - 1]);
                  const what = describe(e);
                  return (
                    <li key={e.id} data-seq={e.seq} data-action={e.action}>
                      <span class="time">{clock(e.at)}</span>
                      <span class="what">
                        <strong>{actionWord(e.action)}</strong>
                        {e.toState && <span class="muted"> → {stateLabel(e.toState)}</span>}
                        <span class="muted">
                          {' '}
                          · {e.actor.id}
                          {e.location ? ` @ ${place(e.location)}` : ''}
                        </span>
                        {what && <span class="muted"> · {what}</span>}
                      </span>
                      <span class={`hash ${link.ok === false ? 'bad' : link.ok ? 'ok' : ''}`} title={`hash ${e.hash}\nprev ${e.prevHash}`}>
                        #{e.seq} <code>{h(e.hash)}</code> <span class="muted">{link.label}</span>
                      </span>
                    </li>
                  );
                })}
              </ol>
            )}
          </>
        )}
      </OptionalState>
    </div>
  );
}

/** the outcomes of an override review (OverrideReview['outcome']); worded as `rounds.outcome.*` */
const REVIEW_OUTCOMES = ['appropriate', 'inappropriate', 'needs_follow_up'] as const;

/** Overrides of the chosen ward waiting for review (the server keeps the caller's wards; this view narrows to one). */
export function OverridesToReview(props: { bump: unknown; ward: string; catalog: Catalog; onDose: (id: string) => void }) {
  const [value, reload] = usePolled<OverridesPage>('/api/administrations/overrides?reviewed=false&limit=200', props.bump, 30_000);
  return (
    <OptionalState value={value} what={t('rounds.overridesWhat')}>
      {(page) => {
        const mine = page.items.filter((o) => o.ward === props.ward);
        if (mine.length === 0) return <Empty>{t('rounds.noOverrides')}</Empty>;
        return (
          <>
            {page.total > page.items.length && <p class="muted small">{t('rounds.showingNewest', { n: page.items.length, total: page.total })}</p>}
            <ul class="list">
              {mine.map((o) => (
                <OverrideItem key={o.id} entry={o} onDose={props.onDose} onReviewed={reload} />
              ))}
            </ul>
          </>
        );
      }}
    </OptionalState>
  );
}

function OverrideItem(props: { entry: OverrideToReview; onDose: (id: string) => void; onReviewed: () => void }) {
  const o = props.entry;
  const [outcome, setOutcome] = useState<(typeof REVIEW_OUTCOMES)[number]>('appropriate');
  const [note, setNote] = useState('');
  const action = useAction();
  const given = o.administered?.given;
  return (
    <li data-override={o.id}>
      <div class="row">
        <strong>{o.drug?.name ?? t('rounds.unknownDrug')}</strong>
        <span>{o.patient ? `${o.patient.name}${o.patient.bed ? t('custody.bed', { bed: o.patient.bed }) : ''}` : '—'}</span>
        <span class="muted">{when(o.overriddenAt)}</span>
      </div>
      <div>
        “{o.reason}” <span class="muted">· {t('rounds.by', { who: o.overriddenBy ?? '—' })}</span>
      </div>
      <div class="muted small">
        {t('rounds.ordered', { what: o.ordered ? `${o.ordered.amount} ${o.ordered.unit} ${o.ordered.route}` : '—' })}
        {given ? ` · ${t('rounds.given', { what: `${given.amount} ${given.unit} ${given.route}` })}` : ''}
        {o.administered?.wasted ? ` · ${t('rounds.wasted', { what: `${o.administered.wasted.amount} ${o.administered.wasted.unit}` })}` : ''}
      </div>
      <div class="row">
        {o.failed.map((r) => (
          <span key={r} class="right fail" data-right={r}>
            ✗ {t(`right.${r}`, { defaultValue: r })}
          </span>
        ))}
        <span class="spacer" />
        {o.doseId && (
          <button class="link-button" onClick={() => props.onDose(o.doseId!)}>
            {t('mar.timeline')}
          </button>
        )}
      </div>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void action.run('POST', `/api/administrations/${o.id}/review`, { outcome, note: note.trim() }).then((r) => r && props.onReviewed());
        }}
      >
        <select
          name="review-outcome"
          aria-label={t('rounds.outcomeLabel')}
          value={outcome}
          onChange={(e) => setOutcome((e.target as HTMLSelectElement).value as typeof outcome)}
        >
          {REVIEW_OUTCOMES.map((v) => (
            <option key={v} value={v}>
              {t(`rounds.outcome.${v}`)}
            </option>
          ))}
        </select>
        <input
          name="review-note"
          aria-label={t('rounds.noteLabel')}
          placeholder={t('rounds.noteLabel')}
          minLength={3}
          required
          value={note}
          onInput={(e) => setNote((e.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={action.busy || note.trim().length < 3}>
          {t('rounds.recordReview')}
        </button>
      </form>
      {action.error != null && <Refusal error={action.error} />}
    </li>
  );
}
