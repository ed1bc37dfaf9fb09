/**
 * The subset of FHIR R4 JSON the MedLoop export emits. Status fields use the value-set types
 * from the custody standards table, so a code outside the R4 set does not compile.
 */
import type { MedicationAdministrationStatus, MedicationDispenseStatus, MedicationRequestStatus, TaskStatus } from '../custody/standards.js';
import type { InteropPriority } from './interop.types.js';

export interface FhirCoding {
  system?: string;
  code: string;
  display?: string;
}
export interface FhirCodeableConcept {
  coding?: FhirCoding[];
  text?: string;
}
export interface FhirIdentifier {
  use?: 'usual' | 'official' | 'temp' | 'secondary' | 'old';
  type?: FhirCodeableConcept;
  system: string;
  value: string;
}
export interface FhirReference {
  reference?: string;
  type?: string;
  identifier?: FhirIdentifier;
  display?: string;
}
export interface FhirQuantity {
  value: number;
  unit?: string;
}
export interface FhirExtension {
  url: string;
  valueString?: string;
  valueInteger?: number;
  valueCode?: string;
  valueBase64Binary?: string;
  valueInstant?: string;
  extension?: FhirExtension[];
}

interface FhirResourceBase {
  id: string;
  extension?: FhirExtension[];
}

export interface FhirPatient extends FhirResourceBase {
  resourceType: 'Patient';
  identifier: FhirIdentifier[];
}

export interface FhirMedication extends FhirResourceBase {
  resourceType: 'Medication';
  identifier: FhirIdentifier[];
  code: FhirCodeableConcept;
  form?: FhirCodeableConcept;
  batch?: { lotNumber?: string; expirationDate?: string };
}

export interface FhirDosage {
  text?: string;
  timing?: { event?: string[] };
  route?: FhirCodeableConcept;
  doseAndRate?: { doseQuantity: FhirQuantity }[];
}

export interface FhirMedicationRequest extends FhirResourceBase {
  resourceType: 'MedicationRequest';
  identifier: FhirIdentifier[];
  status: MedicationRequestStatus;
  statusReason?: FhirCodeableConcept;
  intent: 'order';
  priority: InteropPriority;
  medicationCodeableConcept: FhirCodeableConcept;
  subject: FhirReference;
  authoredOn: string;
  requester?: FhirReference;
  dosageInstruction: FhirDosage[];
}

export interface FhirMedicationDispense extends FhirResourceBase {
  resourceType: 'MedicationDispense';
  identifier: FhirIdentifier[];
  status: MedicationDispenseStatus;
  statusReasonCodeableConcept: FhirCodeableConcept;
  medicationReference: FhirReference;
  subject: FhirReference;
  performer?: { function: FhirCodeableConcept; actor: FhirReference }[];
  authorizingPrescription: FhirReference[];
  quantity: FhirQuantity;
  whenPrepared?: string;
  whenHandedOver?: string;
  destination: FhirReference;
  receiver?: FhirReference[];
}

export interface FhirMedicationAdministration extends FhirResourceBase {
  resourceType: 'MedicationAdministration';
  identifier: FhirIdentifier[];
  status: MedicationAdministrationStatus;
  statusReason?: FhirCodeableConcept[];
  medicationReference: FhirReference;
  subject: FhirReference;
  supportingInformation?: FhirReference[];
  effectiveDateTime: string;
  performer?: { function: FhirCodeableConcept; actor: FhirReference }[];
  request: FhirReference;
  note?: { text: string }[];
  dosage: { route?: FhirCodeableConcept; dose: FhirQuantity };
}

export interface FhirDevice extends FhirResourceBase {
  resourceType: 'Device';
  identifier: FhirIdentifier[];
  deviceName: { name: string; type: 'user-friendly-name' }[];
}

export interface FhirTask extends FhirResourceBase {
  resourceType: 'Task';
  identifier: FhirIdentifier[];
  basedOn: FhirReference[];
  status: TaskStatus;
  statusReason?: FhirCodeableConcept;
  businessStatus: FhirCodeableConcept;
  intent: 'order';
  priority: InteropPriority;
  code: FhirCodeableConcept;
  focus?: FhirReference;
  authoredOn: string;
  lastModified: string;
  executionPeriod?: { start?: string; end?: string };
  requester?: FhirReference;
  owner?: FhirReference;
  input?: { type: FhirCodeableConcept; valueReference: FhirReference }[];
}

export interface FhirProvenance extends FhirResourceBase {
  resourceType: 'Provenance';
  target: FhirReference[];
  occurredDateTime: string;
  recorded: string;
  location?: FhirReference;
  activity: FhirCodeableConcept;
  agent: { type: FhirCodeableConcept; role?: FhirCodeableConcept[]; who: FhirReference }[];
}

export type FhirResource =
  FhirPatient | FhirMedication | FhirMedicationRequest | FhirMedicationDispense | FhirMedicationAdministration | FhirDevice | FhirTask | FhirProvenance;

export interface FhirBundle {
  resourceType: 'Bundle';
  id: string;
  identifier: FhirIdentifier;
  type: 'collection';
  timestamp: string;
  entry: { fullUrl: string; resource: FhirResource }[];
}
