export { epcisDocumentForDelivery, epcisDocumentForDose } from './epcis.export.js';
export { EPCIS_CONTEXT, MEDLOOP_EPCIS_NAMESPACE } from './epcis.types.js';
export type {
  EpcisAction,
  EpcisAggregationEvent,
  EpcisBizTransaction,
  EpcisDocument,
  EpcisEvent,
  EpcisObjectEvent,
  EpcisQuantityElement,
} from './epcis.types.js';
export { fhirBundleForDelivery, fhirBundleForDose } from './fhir.export.js';
export type * from './fhir.types.js';
export { compartmentUri, doseEpc, locationUri, MEDLOOP_SYSTEMS, stableUuid, uuidV5 } from './interop.ids.js';
export type { DoseEpc } from './interop.ids.js';
export type * from './interop.types.js';
export { validateEpcisDocument, validateFhirBundle } from './interop.validate.js';
