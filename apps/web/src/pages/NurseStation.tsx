/** The nurse station: the ward's floor with robots live, deliveries coming, arrivals to receive, alarms, doses, bedside check. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { wardRoom } from '../../../../libs/contracts/src/live/live.types';
import { custodyBump, useCatalog } from '../custody';
import { FloorMap } from '../FloorMap';
import { useLiveRoom } from '../live';
import { WardMedication } from '../mar';
import { ArrivalsPanel, BedsideForm, IncomingDeliveries } from '../nurse-custody';
import type { Session } from '../session';
import { useSite } from '../site';
import { AlarmList, Empty, isOpenMission, MissionList, openAlarmCount, Panel, SensorList } from '../ui';
import { Header } from './Header';
import { t } from '../i18n/i18n';

export function NurseStation(props: { session: Session; ward: string }) {
  const site = useSite();
  const { mirror, link, error } = useLiveRoom(wardRoom(props.ward));
  const now = useNow(1000);
  const ward = site?.wards.find((w) => w.id === props.ward);
  const robots = mirror ? [...mirror.robots.values()] : [];
  const missions = mirror ? [...mirror.missions.values()] : [];
  const incoming = missions.filter(isOpenMission).sort((a, b) => (a.eta ?? '~').localeCompare(b.eta ?? '~'));
  // robots that ended a plain errand here (a delivery's robot waits in "arrivals" until received)
  const arrived = missions.filter((m) => m.status === 'finished' && !(m.cargo as { deliveryId?: string } | null)?.deliveryId);
  const alarms = mirror ? [...mirror.alarms.values()] : [];
  const sensors = mirror ? [...mirror.sensors.values()] : [];
  // custody events for this ward refresh the custody panels at once
  const bump = custodyBump(mirror);
  const catalog = useCatalog(props.ward, bump);
  const [marBump, setMarBump] = useState(0);
  // a recorded administration refreshes the record at once (stable object: a new one only on change)
  const doseBump = useMemo(() => ({ bump, marBump }), [bump, marBump]);
  const wards = props.session.user.wards;
  // the ward's sensors by name in alarm texts (robots are named by the server already)
  const nameOf = (id: string) => sensors.find((s) => s.deviceId === id)?.name;
  return (
    <>
      <Header session={props.session} title={t('page.nurse', { ward: ward?.name ?? props.ward })} link={link}>
        {wards.length > 1 && (
          <select aria-label={t('page.ward')} value={props.ward} onChange={(e) => (location.hash = `#/nurse/${(e.target as HTMLSelectElement).value}`)}>
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
        <div class="col">
          <Panel title={t('panel.floorMap')} id="map">
            {site && ward ? <FloorMap site={site} floor={ward.floor} robots={robots} highlightWard={props.ward} /> : <Empty>{t('common.loadingMap')}</Empty>}
          </Panel>
          <Panel title={t('panel.sensors')} count={sensors.length} id="sensors">
            <SensorList sensors={sensors} />
          </Panel>
          <Panel title={t('panel.doses')} id="doses">
            <WardMedication ward={props.ward} bump={doseBump} catalog={catalog} now={now} mode="nurse" />
          </Panel>
        </div>
        <div class="col">
          <div class="pair">
            <IncomingDeliveries ward={props.ward} bump={bump} missions={incoming} robots={mirror?.robots ?? new Map()} site={site} now={now} />
            <Panel title={t('panel.alarms')} count={openAlarmCount(alarms)} id="alarms">
              <AlarmList alarms={alarms} canAck={true} nameOf={nameOf} />
            </Panel>
          </div>
          <Panel title={t('panel.arrivals')} id="arrivals">
            <ArrivalsPanel ward={props.ward} bump={bump} catalog={catalog} />
            {arrived.length > 0 && (
              <>
                <h3>{t('panel.robotsArrived')}</h3>
                <MissionList missions={arrived} site={site} now={now} empty="" />
              </>
            )}
          </Panel>
          <Panel title={t('panel.bedside')} id="bedside">
            <BedsideForm catalog={catalog} onDone={() => setMarBump((n) => n + 1)} />
          </Panel>
        </div>
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
