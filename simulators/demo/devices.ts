/**
 * Starts the simulated devices of the demo hospital on the control plane's broker: the robot
 * fleet at the pharmacy dock, chargers and parking; the pharmacy's fridge; a fridge and a room
 * sensor per ward; a
 * smart cabinet per ward, whose pockets are then configured and stocked over the HTTP API.
 */
import { CabinetFleet, parseCabinetFleetConfig } from '../cabinet/index.js';
import { Fleet, parseFleetConfig } from '../robot/index.js';
import { parseSensorFleetConfig, SensorFleet } from '../sensor/index.js';
import type { Session } from './api.js';
import { CABINET_POCKETS, ROBOT_HOMES } from './data.js';
import type { Log } from './loops.js';
import type { Seeded } from './seed.js';

export interface DemoDevices {
  robots: Fleet;
  sensors: SensorFleet;
  cabinets: CabinetFleet;
  stop(): Promise<void>;
}

interface SiteNode {
  id: string;
  floor: string;
  x: number;
  y: number;
  kind: string;
}

export async function startDevices(admin: Session, seeded: Seeded, mqttUrl: string, timeScale: number): Promise<DemoDevices> {
  const site = await admin.get<{ nodes: SiteNode[] }>('/api/site');
  const node = (id: string) => {
    const n = site.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`the site has no node ${id}`);
    return n;
  };
  const robots = new Fleet(
    parseFleetConfig({
      brokerUrl: mqttUrl,
      timeScale,
      tickMs: 100,
      // states and positions about twice a second of real time, whatever the time scale
      stateIntervalS: Math.min(30, timeScale),
      visualizationIntervalS: timeScale / 2,
      chargerNodeIds: site.nodes.filter((n) => n.kind === 'charger').map((n) => n.id),
      reconnectPeriodMs: 1000,
      robots: seeded.robots.map((r, i) => {
        const home = node(ROBOT_HOMES[i % ROBOT_HOMES.length]!);
        return {
          manufacturer: 'MedLoop',
          serialNumber: r.serialNumber,
          username: r.id,
          password: r.password,
          initialNode: { nodeId: home.id, x: home.x, y: home.y, mapId: home.floor },
          speed: 1.2,
          battery: 80 + 5 * i,
        };
      }),
    }),
  );
  // sensors' physics run timeScale times faster, but they stamp messages with the wall clock
  // (DeviceFleet.deviceNowMs): the server times cold-chain durations on its own clock anyway
  const sensors = new SensorFleet(
    parseSensorFleetConfig({
      brokerUrl: mqttUrl,
      timeScale,
      reportIntervalS: 60,
      tickMs: 200,
      reconnectPeriodMs: 1000,
      sensors: [
        ...seeded.sensors.map((s) => ({ deviceId: s.id, password: s.password, profile: s.profile })),
        { deviceId: seeded.pharmacyFridge.id, password: seeded.pharmacyFridge.password, profile: 'fridge' as const },
      ],
    }),
  );
  // cabinets run on the wall clock: commands carry an expiry on the server's clock
  const cabinets = new CabinetFleet(
    parseCabinetFleetConfig({
      brokerUrl: mqttUrl,
      timeScale: 1,
      tickMs: 100,
      reconnectPeriodMs: 1000,
      openDelayS: 1,
      accessS: 2,
      cabinets: seeded.cabinets.map((c) => ({ deviceId: c.id, password: c.password, location: `${c.ward.name} medication room` })),
    }),
  );
  const started: { stop(): Promise<void> }[] = [];
  try {
    for (const f of [robots, sensors, cabinets]) {
      await f.start();
      started.push(f);
    }
  } catch (err) {
    await Promise.allSettled(started.map((f) => f.stop()));
    throw err;
  }
  return {
    robots,
    sensors,
    cabinets,
    async stop() {
      await Promise.allSettled([robots.stop(), sensors.stop(), cabinets.stop()]);
    },
  };
}

/** Configures the demo pockets of every ward cabinet and stocks the empty ones. */
export async function stockCabinets(pharmacist: Session, seeded: Seeded, log: Log, stillRunning: () => boolean): Promise<void> {
  for (const c of seeded.cabinets) {
    type Cabinet = { pockets?: { pocketId: string; gtin: string | null; count: number | null; lockState: string | null }[] };
    let cab: Cabinet = {};
    for (let i = 0; i < 40 && stillRunning() && !cab.pockets?.length; i++) {
      cab = await pharmacist.get<Cabinet>(`/api/cabinets/${c.id}`);
      if (!cab.pockets?.length) await new Promise((r) => setTimeout(r, 250));
    }
    for (const p of CABINET_POCKETS) {
      if (!stillRunning()) return;
      const pocket = cab.pockets?.find((x) => x.pocketId === p.pocketId);
      if (!pocket) continue;
      if (pocket.gtin !== p.medication.gtin) {
        await pharmacist.call('PUT', `/api/cabinets/${c.id}/pockets/${p.pocketId}`, {
          gtin: p.medication.gtin,
          medicationName: `${p.medication.name} ${p.medication.strength}`,
          parLevel: 4,
        });
      }
      if (!pocket.count) {
        const expiry = new Date(Date.now() + 365 * 86400_000).toISOString().slice(0, 10);
        await pharmacist.post(`/api/cabinets/${c.id}/pockets/${p.pocketId}/restock`, { lot: 'DEMO1', expiry, quantity: 10 });
        // the simulated pharmacist closes the pocket before the next one is opened
        await new Promise((r) => setTimeout(r, 3500));
      }
    }
    log(`cabinet ${c.id} (${c.ward.id}) stocked`);
  }
}
