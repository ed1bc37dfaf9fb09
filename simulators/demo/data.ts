/**
 * The demo hospital's people, formulary, patients and devices: fixed data, so a second start
 * on the same database finds what the first one created. GTINs and GSRNs carry valid GS1
 * check digits. These passwords exist only for the demo database.
 */
import { gtinCheckDigit } from '#domain';

export const withCheck = (digits: string): string => digits + gtinCheckDigit(digits);

export const DEMO_ADMIN_PASSWORD = 'medloop-demo-admin';
export const DEMO_USER_PASSWORD = 'medloop-demo-pass';
export const DEMO_JWT_SECRET = 'medloop-demo-jwt-secret-not-for-production-use';

export interface DemoWard {
  id: string;
  name: string;
  code: string;
}

export const DEMO_WARDS: readonly DemoWard[] = [
  { id: 'W-CARD', name: 'Cardiology', code: 'card' },
  { id: 'W-SURG', name: 'General surgery', code: 'surg' },
  { id: 'W-ONC', name: 'Oncology', code: 'onc' },
  { id: 'W-PAED', name: 'Paediatrics', code: 'paed' },
];

export type Role = 'admin' | 'pharmacist' | 'nurse' | 'ward_pharmacist';

export interface DemoUser {
  username: string;
  password: string;
  role: Role;
  displayName: string;
  wards?: string[];
  badge?: { gsrn: string; pin: string };
}

export function demoUsers(adminPassword: string): DemoUser[] {
  return [
    { username: 'admin', password: adminPassword, role: 'admin', displayName: 'Administrator' },
    { username: 'pharm.alice', password: DEMO_USER_PASSWORD, role: 'pharmacist', displayName: 'Alice (pharmacist)' },
    { username: 'pharm.bob', password: DEMO_USER_PASSWORD, role: 'pharmacist', displayName: 'Bob (pharmacist, witness)' },
    ...DEMO_WARDS.map((w, i): DemoUser => ({
      username: `nurse.${w.code}`,
      password: DEMO_USER_PASSWORD,
      role: 'nurse',
      displayName: `${w.name} nurse`,
      wards: [w.id],
      badge: { gsrn: withCheck(`8018000009900${String(i + 1).padStart(4, '0')}`), pin: `${1111 * (i + 1)}`.slice(0, 4) },
    })),
    {
      username: 'wardpharm.eve',
      password: DEMO_USER_PASSWORD,
      role: 'ward_pharmacist',
      displayName: 'Eve (ward-round pharmacist)',
      wards: DEMO_WARDS.map((w) => w.id),
    },
  ];
}

export interface DemoMedication {
  gtin: string;
  name: string;
  strength: string;
  route: string;
  dose: { amount: number; unit: string };
  highAlert?: boolean;
  refrigerated?: boolean;
}

export const DEMO_MEDICATIONS: readonly DemoMedication[] = [
  { gtin: withCheck('0950600020001'), name: 'Amoxicillin', strength: '500 mg', route: 'oral', dose: { amount: 500, unit: 'mg' } },
  { gtin: withCheck('0950600020002'), name: 'Paracetamol', strength: '1 g', route: 'oral', dose: { amount: 1, unit: 'g' } },
  { gtin: withCheck('0950600020003'), name: 'Enoxaparin', strength: '40 mg', route: 'subcutaneous', dose: { amount: 40, unit: 'mg' } },
  { gtin: withCheck('0950600020004'), name: 'Ondansetron', strength: '4 mg', route: 'oral', dose: { amount: 4, unit: 'mg' } },
  {
    gtin: withCheck('0950600020005'),
    name: 'Insulin glargine',
    strength: '100 units/mL',
    route: 'subcutaneous',
    dose: { amount: 10, unit: 'units' },
    refrigerated: true,
  },
  { gtin: withCheck('0950600020006'), name: 'Heparin', strength: '5000 units', route: 'intravenous', dose: { amount: 5000, unit: 'units' }, highAlert: true },
];

const FIRST = ['Ada', 'Ben', 'Chloe', 'Dev', 'Elif', 'Farid', 'Grace', 'Hugo', 'Ines', 'Jonas', 'Kemi', 'Liam', 'Mira', 'Noah', 'Olga', 'Priya'];
const LAST = ['Moreau', 'Okafor', 'Lindqvist', 'Tanaka', 'Rossi', 'Novak', 'Haddad', 'Schmidt'];

export interface DemoPatient {
  mrn: string;
  wristbandGsrn: string;
  name: string;
  ward: string;
  bed: string;
}

export const PATIENTS_PER_WARD = 4;

export const DEMO_PATIENTS: readonly DemoPatient[] = DEMO_WARDS.flatMap((w, wi) =>
  Array.from({ length: PATIENTS_PER_WARD }, (_, b) => {
    const n = wi * PATIENTS_PER_WARD + b;
    return {
      mrn: `DEMO-${w.code.toUpperCase()}-${b + 1}`,
      wristbandGsrn: withCheck(`8018000001${wi + 1}${String(b + 1).padStart(6, '0')}`),
      name: `${FIRST[n % FIRST.length]} ${LAST[(n * 3) % LAST.length]}`,
      ward: w.id,
      bed: String(b + 1),
    };
  }),
);

export const ROBOT_HOMES = ['F0-PHARMACY-DOCK', 'F0-CHARGER-1', 'F0-CHARGER-2', 'F0-PARK-1'] as const;
export const PHARMACY_DOCK = 'F0-PHARMACY-DOCK';

export const demoRobotId = (i: number) => `demo-robot-${i + 1}`;
export const demoFridgeId = (w: DemoWard) => `demo-fridge-${w.code}`;
/** The pharmacy's own fridge: refrigerated drugs are picked from it (it stands on no ward). */
export const DEMO_PHARMACY_FRIDGE_ID = 'demo-fridge-pharmacy';
export const demoRoomSensorId = (w: DemoWard) => `demo-room-${w.code}`;
export const demoCabinetId = (w: DemoWard) => `demo-cabinet-${w.code}`;

/** Pockets each ward cabinet is stocked with (drawer D1 of the simulator's default layout). */
export const CABINET_POCKETS = [
  { pocketId: 'D1-P1', medication: DEMO_MEDICATIONS[1]! },
  { pocketId: 'D1-P2', medication: DEMO_MEDICATIONS[3]! },
];

const GS = '\u001d';
const yymmdd = (d: Date) => `${String(d.getUTCFullYear()).slice(2)}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;

/** The GS1 DataMatrix of one unit: GTIN, expiry in a year, lot, serial. */
export function unitBarcode(gtin: string, serial: string, lot = 'DEMO1'): string {
  return `]d201${gtin}17${yymmdd(new Date(Date.now() + 365 * 86400_000))}10${lot}${GS}21${serial}`;
}

/** The bracketed human form a wristband scanner returns. */
export const wristbandBarcode = (gsrn: string) => `(8018)${gsrn}`;
