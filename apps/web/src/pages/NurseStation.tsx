/** The nurse station: the ward's floor with robots live, deliveries coming, arrivals to receive, alarms, doses. */
import { useEffect, useState } from 'preact/hooks';
import { wardRoom } from '../../../../libs/contracts/src/live/live.types';
import { ArrivalsPanel, DosesPanel } from '../custody';
import { FloorMap } from '../FloorMap';
import { useLiveRoom } from '../live';
import type { Session } from '../session';
import { useSite } from '../site';
import { AlarmList, Empty, isOpenMission, MissionList, Panel } from '../ui';
import { Header } from './Header';

export function NurseStation(props: { session: Session; ward: string }) {
  const site = useSite();
  const { mirror, link, error } = useLiveRoom(wardRoom(props.ward));
  const now = useNow(1000);
  const ward = site?.wards.find((w) => w.id === props.ward);
  const robots = mirror ? [...mirror.robots.values()] : [];
  const missions = mirror ? [...mirror.missions.values()] : [];
  const incoming = missions.filter(isOpenMission).sort((a, b) => (a.eta ?? '~').localeCompare(b.eta ?? '~'));
  const arrived = missions.filter((m) => m.status === 'finished');
  const alarms = mirror ? [...mirror.alarms.values()] : [];
  // custody events for this ward refresh the custody panels at once
  const bump = mirror?.other.length ?? 0;
  const wards = props.session.user.wards;
  return (
    <>
      <Header session={props.session} title={`Nurse station · ${ward?.name ?? props.ward}`} link={link}>
        {wards.length > 1 && (
          <select aria-label="ward" value={props.ward} onChange={(e) => (location.hash = `#/nurse/${(e.target as HTMLSelectElement).value}`)}>
            {wards.map((w) => (
              <option key={w} value={w}>
                {w}
              </option>
            ))}
          </select>
        )}
      </Header>
      {error && error.room === wardRoom(props.ward) && (
        <p class="banner error" role="alert" data-error={error.code}>
          {error.message}
        </p>
      )}
      <main class="grid nurse">
        <Panel title="Floor map" class="span2" id="map">
          {site && ward ? <FloorMap site={site} floor={ward.floor} robots={robots} highlightWard={props.ward} /> : <Empty>Loading the map…</Empty>}
        </Panel>
        <Panel title="Alarms" count={alarms.length} id="alarms">
          <AlarmList alarms={alarms} canAck={true} />
        </Panel>
        <Panel title="Incoming deliveries" count={incoming.length} id="incoming">
          <MissionList missions={incoming} site={site} now={now} empty="No robot is on its way to this ward." />
        </Panel>
        <Panel title="Arrivals awaiting receipt" id="arrivals">
          <ArrivalsPanel ward={props.ward} bump={bump} />
          {arrived.length > 0 && (
            <>
              <h3>Robots that arrived</h3>
              <MissionList missions={arrived} site={site} now={now} empty="" />
            </>
          )}
        </Panel>
        <Panel title="Doses due, late or missed" id="doses">
          <DosesPanel ward={props.ward} bump={bump} />
        </Panel>
      </main>
    </>
  );
}

export function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}
