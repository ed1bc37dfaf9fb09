/**
 * The logistics side of the FHIR export: the robot (Device), the delivery mission (Task) and
 * one Provenance per custody event.
 *
 * Provenance rather than AuditEvent: a custody event is a statement about how a clinical
 * resource (the dispense, the administration, the request) came to be in its state — who did
 * it, where, when, on what evidence — which is exactly Provenance's scope (W3C PROV, a
 * target resource, agents with performer/verifier roles, a location). AuditEvent records
 * security-relevant access to a system (ATNA: source, outcome, network address) and would
 * leave the target, the location and the verifying witness without a natural home.
 */
import { canonicalJson } from '../audit/hash-chain.js';
import { DELIVERY_FHIR_TASK_STATUS } from '../custody/delivery.machine.js';
import { bundleRef, medloopCode, userRef } from './fhir.resources.js';
import type { FhirDevice, FhirExtension, FhirProvenance, FhirReference, FhirTask } from './fhir.types.js';
import { evidenceWitness, MEDLOOP_SYSTEMS as S, optionalIso, stableUuid, toIso } from './interop.ids.js';
import type {
  InteropActor,
  InteropCheckpoint,
  InteropCustodyEvent,
  InteropDelivery,
  InteropMission,
  InteropOptions,
  InteropPriority,
} from './interop.types.js';

const PROVENANCE_AGENT_TYPE = 'http://terminology.hl7.org/CodeSystem/provenance-participant-type';
const PRIORITY_RANK: Record<InteropPriority, number> = { routine: 0, urgent: 1, stat: 2 };

export function fhirDevice(robotId: string): FhirDevice {
  return {
    resourceType: 'Device',
    id: stableUuid('Device', robotId),
    identifier: [{ system: S.robot, value: robotId }],
    deviceName: [{ name: robotId, type: 'user-friendly-name' }],
  };
}

export function highestPriority(priorities: readonly InteropPriority[]): InteropPriority {
  return priorities.reduce<InteropPriority>((best, p) => (PRIORITY_RANK[p] > PRIORITY_RANK[best] ? p : best), 'routine');
}

/**
 * The delivery as a Task: status from the delivery machine's mapping, the exact state in
 * businessStatus. Task.focus holds one reference, so it names the dispense only when the
 * Task carries exactly one; every dispense is also listed in Task.input.
 */
export function fhirTask(
  delivery: InteropDelivery,
  mission: InteropMission | null | undefined,
  dispenseIds: readonly string[],
  requestIds: readonly string[],
  fallbackPriority: InteropPriority,
): FhirTask {
  const robotId = delivery.robotId ?? mission?.robotId ?? null;
  const start = optionalIso(delivery.dispatchedAt);
  const end = optionalIso(delivery.arrivedAt);
  const status = DELIVERY_FHIR_TASK_STATUS[delivery.state];
  const failure = status === 'failed' && mission?.failureReason ? mission.failureReason : undefined;
  return {
    resourceType: 'Task',
    id: stableUuid('Task', delivery.id),
    identifier: [
      { system: S.delivery, value: delivery.id },
      ...(mission || delivery.missionId ? [{ system: S.mission, value: mission?.id ?? delivery.missionId! }] : []),
    ],
    basedOn: requestIds.map((id) => bundleRef('MedicationRequest', id)),
    status,
    ...(failure ? { statusReason: { text: failure } } : {}),
    businessStatus: medloopCode(S.deliveryState, delivery.state, delivery.state.replace(/_/g, ' ')),
    intent: 'order',
    priority: mission?.priority ?? fallbackPriority,
    code: medloopCode(S.taskCode, 'robot-transport', 'Transport of dispensed doses to the ward'),
    ...(dispenseIds.length === 1 ? { focus: bundleRef('MedicationDispense', dispenseIds[0]) } : {}),
    authoredOn: toIso(delivery.createdAt, 'delivery.createdAt'),
    lastModified: toIso(delivery.updatedAt, 'delivery.updatedAt'),
    ...(start || end ? { executionPeriod: { ...(start ? { start } : {}), ...(end ? { end } : {}) } } : {}),
    ...(delivery.createdBy ? { requester: userRef(delivery.createdBy) } : {}),
    ...(robotId ? { owner: bundleRef('Device', stableUuid('Device', robotId), robotId) } : delivery.courier ? { owner: userRef(delivery.courier) } : {}),
    ...(dispenseIds.length
      ? { input: dispenseIds.map((id) => ({ type: medloopCode(S.taskInput, 'dispense'), valueReference: bundleRef('MedicationDispense', id) })) }
      : {}),
  };
}

function actorRef(actor: InteropActor, robotIdsInBundle: ReadonlySet<string>): FhirReference {
  if (actor.type === 'user') return userRef(actor.id);
  if (actor.type === 'device' && robotIdsInBundle.has(actor.id)) return bundleRef('Device', stableUuid('Device', actor.id), actor.id);
  return { type: 'Device', identifier: { system: actor.type === 'device' ? S.device : S.system, value: actor.id } };
}

/** The chain values and the raw evidence, so the export can be re-verified against the log. */
export function custodyExtension(e: InteropCustodyEvent): FhirExtension {
  const sub: FhirExtension[] = [
    { url: 'eventId', valueString: e.id },
    { url: 'seq', valueInteger: e.seq },
    { url: 'hash', valueString: e.hash },
    { url: 'prevHash', valueString: e.prevHash },
    { url: 'action', valueCode: e.action },
    ...(e.fromState ? [{ url: 'fromState', valueCode: e.fromState }] : []),
    ...(e.toState ? [{ url: 'toState', valueCode: e.toState }] : []),
    ...(e.evidence && Object.keys(e.evidence).length ? [{ url: 'evidence', valueString: canonicalJson(e.evidence) }] : []),
  ];
  return { url: S.custodyExtension, extension: sub };
}

/**
 * The signed checkpoint that covers the event (its seq ≤ the tree size): the log's origin, the
 * tree size and root, the event's leaf index (seq − 1) and the signed note itself, whose
 * signature line is the log's Ed25519 signature over that head. A receiver that holds the
 * log's verifier key checks the note alone, and GET /api/doses/:id/proof gives the inclusion
 * proof of the leaf to that root; null when no checkpoint covers the event yet.
 */
export function checkpointExtension(e: InteropCustodyEvent, cp: InteropCheckpoint | null | undefined): FhirExtension | null {
  if (!cp || e.seq > cp.treeSize) return null;
  const signatures = cp.note.slice(cp.note.lastIndexOf('\n\n') + 2).replace(/\n$/, '');
  return {
    url: S.checkpointExtension,
    extension: [
      { url: 'origin', valueString: cp.origin },
      { url: 'treeSize', valueInteger: cp.treeSize },
      { url: 'rootHash', valueBase64Binary: cp.rootHash },
      ...(cp.time ? [{ url: 'time', valueInstant: cp.time }] : []),
      { url: 'leafIndex', valueInteger: e.seq - 1 },
      { url: 'signature', valueString: signatures },
      { url: 'note', valueString: cp.note },
    ],
  };
}

/** `targets` says which exported resources the event is about (resolved by the bundle builder). */
export function fhirProvenance(
  e: InteropCustodyEvent,
  targets: FhirReference[],
  robotIdsInBundle: ReadonlySet<string>,
  options?: InteropOptions,
): FhirProvenance {
  const at = toIso(e.at, 'event.at');
  const witness = evidenceWitness(e.evidence);
  const gln = e.location ? options?.glnByLocation?.[e.location] : undefined;
  const agentType = (code: string) => ({ coding: [{ system: PROVENANCE_AGENT_TYPE, code }] });
  const anchored = checkpointExtension(e, options?.checkpoint);
  return {
    resourceType: 'Provenance',
    id: stableUuid('Provenance', e.id),
    extension: [custodyExtension(e), ...(anchored ? [anchored] : [])],
    target: targets,
    occurredDateTime: at,
    recorded: at,
    ...(e.location
      ? { location: { type: 'Location', identifier: gln ? { system: S.gln, value: gln } : { system: S.location, value: e.location }, display: e.location } }
      : {}),
    activity: medloopCode(S.custodyAction, e.action, e.action.replace(/_/g, ' ')),
    agent: [
      { type: agentType('performer'), ...(e.actor.role ? { role: [{ text: e.actor.role }] } : {}), who: actorRef(e.actor, robotIdsInBundle) },
      ...(witness ? [{ type: agentType('verifier'), role: [{ text: 'witness' }], who: userRef(witness) }] : []),
    ],
  };
}
