/**
 * Seeds the demo hospital over the HTTP API, idempotently: users, formulary, patients and
 * devices are created when missing and brought back to the demo values when present (device
 * credentials are rotated, since a password is shown only once), so a second start on the
 * same database works like the first.
 */
import { ApiError, Session } from './api.js';
import {
  DEMO_MEDICATIONS,
  DEMO_PATIENTS,
  DEMO_WARDS,
  demoCabinetId,
  DEMO_PHARMACY_FRIDGE_ID,
  demoFridgeId,
  demoRobotId,
  demoRoomSensorId,
  demoUsers,
  type DemoMedication,
  type DemoPatient,
  type DemoUser,
  type DemoWard,
} from './data.js';

export interface Credentials {
  id: string;
  password: string;
}

export interface SeededPatient extends DemoPatient {
  id: string;
}

export interface SeededMedication extends DemoMedication {
  id: string;
}

export interface Seeded {
  users: DemoUser[];
  medications: SeededMedication[];
  patients: SeededPatient[];
  robots: (Credentials & { serialNumber: string })[];
  sensors: (Credentials & { ward: DemoWard; profile: 'fridge' | 'room' })[];
  /** the pharmacy's fridge (no ward), which refrigerated drugs are picked from */
  pharmacyFridge: Credentials;
  cabinets: (Credentials & { ward: DemoWard })[];
}

export const ROBOT_COUNT = 4;

async function seedUsers(admin: Session, users: DemoUser[]): Promise<void> {
  const existing = (await admin.get<{ id: string; username: string }[]>('/api/users')).reduce((m, u) => m.set(u.username, u.id), new Map<string, string>());
  for (const u of users) {
    if (u.role === 'admin') continue;
    const body = {
      displayName: u.displayName,
      password: u.password,
      role: u.role,
      ...(u.wards ? { wards: u.wards } : {}),
      ...(u.badge ? { badgeGsrn: u.badge.gsrn, pin: u.badge.pin } : {}),
    };
    const id = existing.get(u.username);
    if (id) await admin.call('PATCH', `/api/users/${id}`, { ...body, disabled: false });
    else await admin.post('/api/users', { username: u.username, ...body });
  }
}

async function seedMedications(admin: Session): Promise<SeededMedication[]> {
  const known = await admin.get<{ id: string; gtin: string }[]>('/api/medications');
  const out: SeededMedication[] = [];
  for (const m of DEMO_MEDICATIONS) {
    let id = known.find((k) => k.gtin === m.gtin)?.id;
    if (!id) {
      const { dose: _dose, ...body } = m;
      id = (await admin.post<{ id: string }>('/api/medications', { highAlert: false, refrigerated: false, ...body })).id;
    }
    out.push({ ...m, id });
  }
  return out;
}

async function seedPatients(admin: Session): Promise<SeededPatient[]> {
  const out: SeededPatient[] = [];
  for (const w of DEMO_WARDS) {
    const known = await admin.get<{ id: string; mrn: string }[]>(`/api/patients?ward=${w.id}`);
    for (const p of DEMO_PATIENTS.filter((x) => x.ward === w.id)) {
      const id = known.find((k) => k.mrn === p.mrn)?.id ?? (await admin.post<{ id: string }>('/api/patients', p)).id;
      out.push({ ...p, id });
    }
  }
  return out;
}

/** Registers a device with a fixed id, or rotates its credentials when it exists. */
async function device(admin: Session, body: Record<string, unknown> & { id: string }): Promise<Credentials> {
  const r = await admin.raw('GET', `/api/devices/${body.id}`);
  const res =
    r.status === 200
      ? await admin.post<{ credentials: { password: string } }>(`/api/devices/${body.id}/credentials`)
      : await admin.post<{ credentials: { password: string } }>('/api/devices', body);
  return { id: body.id, password: res.credentials.password };
}

export async function seed(baseUrl: string, adminPassword: string): Promise<{ seeded: Seeded; admin: Session }> {
  const admin = new Session(baseUrl, 'admin', adminPassword);
  try {
    await admin.bearer();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401)
      throw new Error('the admin password of this demo database differs from ADMIN_PASSWORD; start with --fresh to recreate it', { cause: err });
    throw err;
  }
  const users = demoUsers(adminPassword);
  await seedUsers(admin, users);
  const medications = await seedMedications(admin);
  const patients = await seedPatients(admin);
  const robots: Seeded['robots'] = [];
  for (let i = 0; i < ROBOT_COUNT; i++) {
    const serialNumber = `DEMO-R${i + 1}`;
    const c = await device(admin, { id: demoRobotId(i), kind: 'robot', name: `Robot ${i + 1}`, manufacturer: 'MedLoop', serialNumber });
    robots.push({ ...c, serialNumber });
  }
  const pharmacyFridge = await device(admin, { id: DEMO_PHARMACY_FRIDGE_ID, kind: 'sensor', name: 'Pharmacy medication fridge', location: 'pharmacy fridge' });
  const sensors: Seeded['sensors'] = [];
  const cabinets: Seeded['cabinets'] = [];
  for (const w of DEMO_WARDS) {
    const fridge = await device(admin, { id: demoFridgeId(w), kind: 'sensor', name: `${w.name} medication fridge`, ward: w.id, location: 'medication fridge' });
    sensors.push({ ...fridge, ward: w, profile: 'fridge' });
    const room = await device(admin, { id: demoRoomSensorId(w), kind: 'sensor', name: `${w.name} room climate`, ward: w.id, location: 'ward corridor' });
    sensors.push({ ...room, ward: w, profile: 'room' });
    const cab = await device(admin, { id: demoCabinetId(w), kind: 'cabinet', name: `${w.name} cabinet`, ward: w.id, location: 'medication room' });
    cabinets.push({ ...cab, ward: w });
  }
  return { seeded: { users, medications, patients, robots, sensors, pharmacyFridge, cabinets }, admin };
}
