/** The ward-round pharmacist's view, phone first: per ward and patient, medication status, overrides, cold chain, a dose's timeline. */
import { useState } from 'preact/hooks';
import { wardRoom } from '../../../../libs/contracts/src/live/live.types';
import { custodyBump, useCatalog } from '../custody';
import { useLiveRoom } from '../live';
import { WardMedication } from '../mar';
import { AuditStatus, DoseTimeline, OverridesToReview } from '../rounds-custody';
import type { Session } from '../session';
import { useSite } from '../site';
import { AlarmList, openAlarmCount, Panel } from '../ui';
import { Header } from './Header';
import { useNow } from './NurseStation';
import { t } from '../i18n/i18n';

const COLD_CHAIN = /cold|temperature|fridge|excursion/i;

export function WardRound(props: { session: Session; ward: string | null }) {
  const site = useSite();
  const ward = props.ward ?? site?.wards[0]?.id ?? null;
  const { mirror, link } = useLiveRoom(ward ? wardRoom(ward) : null);
  const [dose, setDose] = useState<string | null>(null);
  const now = useNow(30_000);
  const alarms = mirror ? [...mirror.alarms.values()] : [];
  const cold = alarms.filter((a) => COLD_CHAIN.test(a.type));
  const other = alarms.filter((a) => !COLD_CHAIN.test(a.type));
  const bump = custodyBump(mirror);
  const catalog = useCatalog(ward, bump);
  const open = (id: string) => {
    setDose(id);
    // on a phone the timeline sits at the top: bring it into view
    requestAnimationFrame(() => document.getElementById('timeline')?.scrollIntoView({ behavior: 'smooth', block: 'start' }));
  };
  return (
    <>
      <Header session={props.session} title={t('page.rounds')} link={link}>
        <select aria-label={t('page.ward')} value={ward ?? ''} onChange={(e) => (location.hash = `#/rounds/${(e.target as HTMLSelectElement).value}`)}>
          {site?.wards.map((w) => (
            <option key={w.id} value={w.id}>
              {w.name}
            </option>
          ))}
        </select>
      </Header>
      {ward && (
        <main class="grid rounds">
          <Panel title={t('panel.audit')} id="audit">
            <AuditStatus bump={bump} />
          </Panel>
          {dose && (
            <Panel title={t('panel.timeline')} id="timeline">
              <DoseTimeline doseId={dose} catalog={catalog} onClose={() => setDose(null)} />
            </Panel>
          )}
          <Panel title={t('panel.coldAlarms')} count={openAlarmCount(cold)} id="cold">
            <AlarmList alarms={cold} canAck={true} />
          </Panel>
          <Panel title={t('panel.patients')} id="patients">
            <WardMedication ward={ward} bump={bump} catalog={catalog} now={now} mode="rounds" onDose={open} />
          </Panel>
          <Panel title={t('panel.overrides')} id="overrides">
            <OverridesToReview bump={bump} ward={ward} catalog={catalog} onDose={open} />
          </Panel>
          <Panel title={t('panel.otherAlarms')} count={openAlarmCount(other)} id="other-alarms">
            <AlarmList alarms={other} canAck={true} />
          </Panel>
        </main>
      )}
    </>
  );
}
