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
import { AlarmList, Empty, isOpenMission, MissionList, Panel } from '../ui';
import { Header } from './Header';
import { useNow } from './NurseStation';

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
      <Header session={props.session} title="Pharmacy console" link={link} />
      <main class="grid pharmacy">
        <Panel title="Orders to verify" id="orders">
          <OrdersToVerify bump={bump} catalog={catalog} />
        </Panel>
        <Panel title="Build a delivery" id="build">
          {site ? <BuildDelivery site={site} catalog={catalog} bump={bump} /> : <Empty>Loading…</Empty>}
        </Panel>
        <Panel title="Alarms" count={alarms.filter((a) => a.state === 'raised').length} id="alarms">
          <AlarmList alarms={alarms} canAck={true} />
        </Panel>
        <Panel title="Fleet" class="span2" id="fleet">
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
          {site && shownFloor ? <FloorMap site={site} floor={shownFloor} robots={robots} /> : <Empty>Loading the map…</Empty>}
          <table class="robots">
            <thead>
              <tr>
                <th>robot</th>
                <th>link</th>
                <th>battery</th>
                <th>where</th>
                <th>mission</th>
              </tr>
            </thead>
            <tbody>
              {robots.map((r) => (
                <tr key={r.id} data-robot-row={r.id}>
                  <td>{names[r.id] ?? r.serialNumber}</td>
                  <td class={r.connection === 'ONLINE' && !r.stale ? 'ok' : 'bad'}>{r.stale ? 'stale' : (r.connection ?? '—')}</td>
                  <td>
                    {r.batteryPct ?? '—'}%{r.charging ? ' ⚡' : ''}
                  </td>
                  <td>
                    {r.position?.mapId ?? '—'} {r.lastNodeId ?? ''}
                  </td>
                  <td>{r.missionId ? r.missionId.slice(0, 8) : r.eStop && r.eStop !== 'NONE' ? 'E-STOP' : 'idle'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {robots.length === 0 && <Empty>No robot has reported yet.</Empty>}
        </Panel>
        <div class="col">
          <Panel title="Missions" count={missions.filter(isOpenMission).length} id="missions">
            <MissionList missions={missions.filter(isOpenMission)} site={site} now={now} empty="No mission under way." />
          </Panel>
          <Panel title="Exceptions" id="exceptions">
            <CustodyExceptions bump={bump} catalog={catalog} />
            <h3>Failed or paused missions</h3>
            <MissionList missions={exceptions} site={site} now={now} empty="No failed or paused mission." />
          </Panel>
        </div>
      </main>
    </>
  );
}
