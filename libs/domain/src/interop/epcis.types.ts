/**
 * The subset of GS1 EPCIS 2.0 JSON-LD the MedLoop export emits. bizStep and disposition are
 * bare CBV 2.0 terms (the JSON binding expands them through the standard @context).
 */
import type { EpcisBizStep, EpcisDisposition } from '../custody/standards.js';

export const EPCIS_CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';
/** JSON-LD prefix of MedLoop's extension fields (`medloop:hash`, …). */
export const MEDLOOP_EPCIS_NAMESPACE = 'urn:medloop:epcis:';

export type EpcisAction = 'ADD' | 'OBSERVE' | 'DELETE';

export interface EpcisQuantityElement {
  epcClass: string;
  quantity: number;
}
export interface EpcisBizTransaction {
  type: string;
  bizTransaction: string;
}

interface EpcisEventBase {
  eventID: string;
  eventTime: string;
  eventTimeZoneOffset: string;
  action: EpcisAction;
  bizStep: EpcisBizStep;
  disposition: EpcisDisposition;
  readPoint?: { id: string };
  bizLocation?: { id: string };
  bizTransactionList?: EpcisBizTransaction[];
  destinationList?: { type: 'location'; destination: string }[];
  errorDeclaration?: { declarationTime: string; reason: 'incorrect_data' | 'did_not_occur'; correctiveEventIDs?: string[] };
  'medloop:custodyEventId': string;
  'medloop:seq': number;
  'medloop:action': string;
  'medloop:hash': string;
  'medloop:prevHash': string;
}

export interface EpcisObjectEvent extends EpcisEventBase {
  type: 'ObjectEvent';
  epcList: string[];
  quantityList?: EpcisQuantityElement[];
}

export interface EpcisAggregationEvent extends EpcisEventBase {
  type: 'AggregationEvent';
  parentID: string;
  childEPCs: string[];
  childQuantityList?: EpcisQuantityElement[];
}

export type EpcisEvent = EpcisObjectEvent | EpcisAggregationEvent;

export interface EpcisDocument {
  '@context': [typeof EPCIS_CONTEXT, { medloop: typeof MEDLOOP_EPCIS_NAMESPACE }];
  type: 'EPCISDocument';
  schemaVersion: '2.0';
  creationDate: string;
  epcisBody: { eventList: EpcisEvent[] };
}
