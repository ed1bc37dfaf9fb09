import { Identity1764160000000 } from './1764160000000-identity.js';
import { Alarms1764170000000 } from './1764170000000-alarms.js';
import { Missions1764180000000 } from './1764180000000-missions.js';
import { Custody1764200000000 } from './1764200000000-custody.js';
import { CabinetsSensors1764190000001 } from './1764190000001-cabinets-sensors.js';
import { TelemetrySamples1764210000000 } from './1764210000000-telemetry-samples.js';
import { StoreTruth1764220000000 } from './1764220000000-store-truth.js';
import { DoseLocations1764230000000 } from './1764230000000-dose-locations.js';
import { OverrideReview1764300100000 } from './1764300100000-override-review.js';
import { CustodyEventWard1764300300000 } from './1764300300000-custody-event-ward.js';
import { AuthSessions1764400200000 } from './1764400200000-auth-sessions.js';
import { DeviceCredentialGeneration1764400300000 } from './1764400300000-device-credential-generation.js';
import { UserCredentialGeneration1764400400000 } from './1764400400000-user-credential-generation.js';
import { CustodyAppendOnly1764400500000 } from './1764400500000-custody-append-only.js';
import { RobotFactsheets1764400600000 } from './1764400600000-robot-factsheets.js';

// the append-only guard's statements, for a deliberate edit that takes it away and puts it back
export { APPEND_ONLY_TABLES, appendOnlyGuard, appendOnlyGuardRemoval } from './1764400500000-custody-append-only.js';

/** Every migration, in order. New ones are appended here. */
export const MIGRATIONS = [
  Identity1764160000000,
  Alarms1764170000000,
  Missions1764180000000,
  Custody1764200000000,
  CabinetsSensors1764190000001,
  TelemetrySamples1764210000000,
  StoreTruth1764220000000,
  DoseLocations1764230000000,
  OverrideReview1764300100000,
  CustodyEventWard1764300300000,
  AuthSessions1764400200000,
  DeviceCredentialGeneration1764400300000,
  UserCredentialGeneration1764400400000,
  CustodyAppendOnly1764400500000,
  RobotFactsheets1764400600000,
];
