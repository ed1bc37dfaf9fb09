import { describe, expect, it } from '@jest/globals';
import { epcisDocumentForDose } from './epcis.export.js';
import { fhirBundleForDose } from './fhir.export.js';
import { doseInput } from './interop.fixture.js';
import { validateEpcisDocument, validateFhirBundle } from './interop.validate.js';

/** A mutable JSON copy, as a receiver would parse it. */
const copy = <T>(v: T): any => JSON.parse(JSON.stringify(v));

describe('validateFhirBundle', () => {
  const bundle = fhirBundleForDose(doseInput());
  const entry = (b: any, type: string) => b.entry.find((e: any) => e.resource.resourceType === type).resource;

  it('accepts the export', () => {
    expect(validateFhirBundle(bundle)).toEqual([]);
  });

  it('flags a status outside the R4 value set (MedLoop state leaking into FHIR)', () => {
    const b = copy(bundle);
    entry(b, 'MedicationDispense').status = 'in_transit';
    expect(validateFhirBundle(b)).toEqual([expect.stringContaining("MedicationDispense.status 'in_transit'")]);
  });

  it('flags a reference that does not resolve, a fullUrl that does not match the id, and a wrong bundle type', () => {
    const b = copy(bundle);
    b.type = 'document';
    entry(b, 'Task').focus.reference = 'urn:uuid:00000000-0000-4000-8000-000000000000';
    b.entry[0].fullUrl = 'Patient/x';
    const problems = validateFhirBundle(b);
    expect(problems.some((p) => p.includes("'collection'"))).toBe(true);
    expect(problems.some((p) => p.includes('does not resolve'))).toBe(true);
    expect(problems.some((p) => p.includes('fullUrl Patient/x'))).toBe(true);
  });

  it('flags not-done without a reason and a reason without not-done', () => {
    const b = copy(bundle);
    entry(b, 'MedicationAdministration').status = 'not-done';
    expect(validateFhirBundle(b)).toEqual([expect.stringContaining('statusReason')]);
  });

  it('flags an unknown performer function and a Provenance without agent', () => {
    const b = copy(bundle);
    entry(b, 'MedicationAdministration').performer[1].function.coding[0].code = 'cosigner';
    entry(b, 'Provenance').agent = [];
    expect(validateFhirBundle(b)).toHaveLength(2);
  });
});

describe('validateEpcisDocument', () => {
  const doc = epcisDocumentForDose(doseInput());

  it('accepts the export', () => {
    expect(validateEpcisDocument(doc)).toEqual([]);
  });

  it('flags an event without bizStep, disposition, eventTime or hash', () => {
    const d = copy(doc);
    const e = d.epcisBody.eventList[1];
    delete e.bizStep;
    e.disposition = 'urn:epcglobal:cbv:disp:in_progress';
    delete e.eventTime;
    delete e['medloop:hash'];
    expect(validateEpcisDocument(d)).toHaveLength(4);
  });

  it('flags a purchase-order business transaction, a parentless aggregation and a wrong context', () => {
    const d = copy(doc);
    d['@context'] = ['https://example.org/context.jsonld'];
    d.epcisBody.eventList[0].bizTransactionList[0].type = 'po';
    delete d.epcisBody.eventList[3].parentID;
    const problems = validateEpcisDocument(d);
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/purchase order/);
  });

  it('flags duplicate event ids that are not error declarations', () => {
    const d = copy(doc);
    d.epcisBody.eventList[1].eventID = d.epcisBody.eventList[0].eventID;
    expect(validateEpcisDocument(d)).toEqual([expect.stringContaining('duplicate eventID')]);
  });
});
