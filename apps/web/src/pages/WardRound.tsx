/** The ward-round pharmacist's view, phone first: per ward and patient, medication status, overrides, cold chain, a dose's timeline. */
import { useState } from 'preact/hooks';
import { wardRoom } from '../../../../libs/contracts/src/live/live.types';
import { CustodyList, DoseTimeline, DosesPanel } from '../custody';
import { useLiveRoom } from '../live';
import type { Session } from '../session';
import { useSite } from '../site';
import { AlarmList, Panel } from '../ui';
import { Header } from './Header';

const COLD_CHAIN = /cold|temperature|fridge|excursion/i;

export function WardRound(props: { session: Session; ward: string | null }) {
  const site = useSite();
  const ward = props.ward ?? site?.wards[0]?.id ?? null;
  const { mirror, link } = useLiveRoom(ward ? wardRoom(ward) : null);
  const [dose, setDose] = useState<string | null>(null);
  const alarms = mirror ? [...mirror.alarms.values()] : [];
  const cold = alarms.filter((a) => COLD_CHAIN.test(a.type));
  const bump = mirror?.other.length ?? 0;
  return (
    <>
      <Header session={props.session} title="Ward round" link={link}>
        <select aria-label="ward" value={ward ?? ''} onChange={(e) => (location.hash = `#/rounds/${(e.target as HTMLSelectElement).value}`)}>
          {site?.wards.map((w) => (
            <option key={w.id} value={w.id}>
              {w.name}
            </option>
          ))}
        </select>
      </Header>
      {ward && (
        <main class="grid rounds">
          <Panel title="Cold-chain alarms" count={cold.length} id="cold">
            <AlarmList alarms={cold} canAck={true} />
          </Panel>
          <Panel title="Medication status by patient" id="patients">
            <DosesPanel ward={ward} bump={bump} onDose={setDose} all={true} />
            {dose && <DoseTimeline doseId={dose} onClose={() => setDose(null)} />}
          </Panel>
          <Panel title="Overrides to review" id="overrides">
            <CustodyList path="/api/administrations/overrides" bump={bump} what="overrides to review" />
          </Panel>
          <Panel title="Other alarms" count={alarms.length - cold.length} id="other-alarms">
            <AlarmList alarms={alarms.filter((a) => !COLD_CHAIN.test(a.type))} canAck={true} />
          </Panel>
        </main>
      )}
    </>
  );
}
