/** The pharmacy console: orders to verify, building and dispatching a delivery, the fleet on the map, exceptions. */
import { useEffect, useState } from 'preact/hooks';
import { SITE_ROOM } from '../../../../libs/contracts/src/live/live.types';
import { api } from '../api';
import { custodyBump, useCatalog } from '../custody';
import { BuildDelivery, CustodyExceptions, OrdersToVerify } from '../pharmacy-custody';
import { FloorMap } from '../FloorMap';
import { useLiveRoom } from '../live';
import type { Session } from '../session';
import { useSite } from '../site';
import { AlarmList, Empty, isOpenMission, MissionList, openAlarmCount, Panel } from '../ui';
import { Header } from './Header';
import { useNow } from './NurseStation';
import { t } from '../i18n/i18n';

export function PharmacistConsole(props: { session: Session }) {
  const site = useSite();
  const { mirror, link } = useLiveRoom(SITE_ROOM);
  const now = useNow(1000);
  const [floor, setFloor] = useState<string | null>(null);
  const [names, setNames] = useState<Record<string, string>>({});
  useEffect(() => {
    void api<{ id: string; name: string }[]>('GET', '/api/robots').then((rs) => setNames(Object.fromEntries(rs.map((r) => [r.id, r.name]))));
  }, [mirror?.robots.size]);
  const robots = mirror ? [...mirror.robots.values()] : [];
  const missions = mirror ? [...mirror.missions.values()] : [];
  const alarms = mirror ? [...mirror.alarms.values()] : [];
  const bump = custodyBump(mirror);
  const catalog = useCatalog(null, bump);
  const shownFloor = floor ?? site?.floors[0]?.mapId ?? null;
  const exceptions = missions.filter((m) => m.status === 'failed' || m.paused);
  return (
    <>
      <Header session={props.session} title={t('page.pharmacy')} link={link} />
      <main class="grid pharmacy">
        <Panel title={t('panel.orders')} id="orders">
          <OrdersToVerify bump={bump} catalog={catalog} />
        </Panel>
        <Panel title={t('panel.build')} id="build">
          {site ? <BuildDelivery site={site} catalog={catalog} bump={bump} /> : <Empty>{t('common.loading')}</Empty>}
        </Panel>
        <Panel title={t('panel.alarms')} count={openAlarmCount(alarms)} id="alarms">
          <AlarmList alarms={alarms} canAck={true} nameOf={(id) => names[id]} />
        </Panel>
        <Panel title={t('panel.fleet')} class="span2" id="fleet">
          {site && (
            <div class="tabs" role="tablist">
              {site.floors.map((f) => (
                <button
                  key={f.mapId}
                  role="tab"
                  aria-selected={f.mapId === shownFloor}
                  class={f.mapId === shownFloor ? 'on' : ''}
                  onClick={() => setFloor(f.mapId)}
                >
                  {f.mapId} <span class="muted">({robots.filter((r) => r.position?.mapId === f.mapId).length})</span>
                </button>
              ))}
            </div>
          )}
          {site && shownFloor ? <FloorMap site={site} floor={shownFloor} robots={robots} /> : <Empty>{t('common.loadingMap')}</Empty>}
          <table class="robots">
            <thead>
              <tr>
                <th>{t('fleet.robot')}</th>
                <th>{t('fleet.link')}</th>
                <th>{t('fleet.battery')}</th>
                <th>{t('fleet.where')}</th>
                <th>{t('fleet.mission')}</th>
              </tr>
            </thead>
            <tbody>
              {robots.map((r) => (
                <tr key={r.id} data-robot-row={r.id}>
                  <td>{names[r.id] ?? r.serialNumber}</td>
                  <td class={r.connection === 'ONLINE' && !r.stale ? 'ok' : 'bad'}>
                    {r.stale ? t('fleet.stale') : r.connection ? t(`connection.${r.connection}`, { defaultValue: r.connection }) : '—'}
                  </td>
                  <td>
                    {r.batteryPct ?? '—'}%{r.charging ? ' ⚡' : ''}
                  </td>
                  <td>
                    {r.position?.mapId ?? '—'} {r.lastNodeId ?? ''}
                  </td>
                  <td>{r.missionId ? r.missionId.slice(0, 8) : r.eStop && r.eStop !== 'NONE' ? t('fleet.estop') : t('fleet.idle')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {robots.length === 0 && <Empty>{t('fleet.none')}</Empty>}
        </Panel>
        <div class="col">
          <Panel title={t('panel.missions')} count={missions.filter(isOpenMission).length} id="missions">
            <MissionList missions={missions.filter(isOpenMission)} site={site} now={now} empty={t('missions.none')} />
          </Panel>
          <Panel title={t('panel.exceptions')} id="exceptions">
            <CustodyExceptions bump={bump} catalog={catalog} />
            <h3>{t('panel.failedMissions')}</h3>
            <MissionList missions={exceptions} site={site} now={now} empty={t('missions.noneFailed')} />
          </Panel>
        </div>
      </main>
    </>
  );
}
