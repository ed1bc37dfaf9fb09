/** The pharmacy console: orders to verify, building and dispatching a delivery, the fleet on the map, exceptions. */
import { useEffect, useState } from 'preact/hooks';
import { SITE_ROOM } from '../../../../libs/contracts/src/live/live.types';
import { api } from '../api';
import { CustodyList, OrdersToVerify } from '../custody';
import { FloorMap } from '../FloorMap';
import { useLiveRoom } from '../live';
import type { Session } from '../session';
import { stationOf, useSite } from '../site';
import { AlarmList, Empty, isOpenMission, MissionList, Panel } from '../ui';
import { Header } from './Header';
import { useNow } from './NurseStation';

const DOCK = 'F0-PHARMACY-DOCK';

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
  const bump = mirror?.other.length ?? 0;
  const shownFloor = floor ?? site?.floors[0]?.mapId ?? null;
  const exceptions = missions.filter((m) => m.status === 'failed' || m.paused);
  return (
    <>
      <Header session={props.session} title="Pharmacy console" link={link} />
      <main class="grid pharmacy">
        <Panel title="Orders to verify" id="orders">
          <OrdersToVerify bump={bump} />
        </Panel>
        <Panel title="Build a delivery" id="build">
          {site ? <BuildDelivery site={site} /> : <Empty>Loading…</Empty>}
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
        <Panel title="Missions" count={missions.filter(isOpenMission).length} id="missions">
          <MissionList missions={missions.filter(isOpenMission)} site={site} now={now} empty="No mission under way." />
        </Panel>
        <Panel title="Exceptions" count={exceptions.length + alarms.length} id="exceptions">
          <MissionList missions={exceptions} site={site} now={now} empty="No failed or paused mission." />
          <h3>Open alarms</h3>
          <AlarmList alarms={alarms} canAck={true} />
          <h3>Deliveries escalated to a courier</h3>
          <CustodyList path="/api/deliveries?state=escalated_manual" bump={bump} what="deliveries handed to a courier" />
        </Panel>
      </main>
    </>
  );
}

/** Scan doses into a tote, choose the ward, dispatch a robot (a transport mission until the custody delivery API lands). */
function BuildDelivery(props: { site: NonNullable<ReturnType<typeof useSite>> }) {
  const [items, setItems] = useState<string[]>([]);
  const [scan, setScan] = useState('');
  const [ward, setWard] = useState(props.site.wards[0]?.id ?? '');
  const [priority, setPriority] = useState('routine');
  const [msg, setMsg] = useState<string | null>(null);
  const dispatch = async () => {
    const station = stationOf(props.site, ward);
    if (!station) return setMsg(`ward ${ward} has no station`);
    try {
      const m = await api<{ id: string }>('POST', '/api/missions', {
        stops: [{ nodeId: DOCK }, { nodeId: station.id }],
        priority,
        cargo: { ward, items },
      });
      setMsg(`mission ${m.id.slice(0, 8)} queued`);
      setItems([]);
    } catch (err) {
      setMsg((err as Error).message);
    }
  };
  return (
    <div class="build">
      <form
        class="scan"
        onSubmit={(e) => {
          e.preventDefault();
          if (scan.trim()) setItems([...items, scan.trim()]);
          setScan('');
        }}
      >
        <input placeholder="scan a dose (GS1)" value={scan} onInput={(e) => setScan((e.target as HTMLInputElement).value)} aria-label="dose barcode" />
        <button type="submit">Add</button>
      </form>
      {items.length === 0 ? (
        <Empty>No dose scanned yet.</Empty>
      ) : (
        <ol class="items">
          {items.map((b, i) => (
            <li key={i}>
              <code>{b}</code>
            </li>
          ))}
        </ol>
      )}
      <div class="row">
        <select aria-label="destination ward" value={ward} onChange={(e) => setWard((e.target as HTMLSelectElement).value)}>
          {props.site.wards.map((w) => (
            <option key={w.id} value={w.id}>
              {w.name}
            </option>
          ))}
        </select>
        <select aria-label="priority" value={priority} onChange={(e) => setPriority((e.target as HTMLSelectElement).value)}>
          {['stat', 'urgent', 'routine'].map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
        <button class="primary" onClick={() => void dispatch()}>
          Dispatch
        </button>
      </div>
      {msg && <p class="muted">{msg}</p>}
    </div>
  );
}
