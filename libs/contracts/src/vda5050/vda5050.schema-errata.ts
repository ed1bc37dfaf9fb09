/**
 * In-memory corrections to known defects of the official VDA 5050 schema files. The files
 * themselves stay byte-for-byte as published; each fix here is the smallest change that
 * makes the schema agree with the standard's own text, and is listed in EXTENSIONS.md.
 */
import type { VdaTopicName } from './vda5050.topics.js';
import type { VdaVersion } from './vda5050.types.js';

type JsonObject = Record<string, unknown>;

function child(obj: unknown, ...keys: string[]): JsonObject | undefined {
  let cur: unknown = obj;
  for (const key of keys) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as JsonObject)[key];
  }
  return typeof cur === 'object' && cur !== null ? (cur as JsonObject) : undefined;
}

export function applySchemaErrata(version: VdaVersion, topic: VdaTopicName, schema: JsonObject): JsonObject {
  const fixed = structuredClone(schema);

  // 2.0.0 instantActions names the field `actionName` (required) while the 2.0 text, the
  // order schema and 2.1 all use `actionType`; every real robot and controller sends
  // actionType, so the published schema would reject all valid instant actions.
  if (version === '2.0.0' && topic === 'instantActions') {
    const item = child(fixed, 'properties', 'actions', 'items');
    const props = child(item, 'properties');
    if (item && props && 'actionName' in props) {
      props['actionType'] = props['actionName'];
      delete props['actionName'];
      item['required'] = (item['required'] as string[]).map((k) => (k === 'actionName' ? 'actionType' : k));
    }
  }

  // 2.1.0 factsheet declares blockingTypes as {"type":"array","enum":[strings]}: no array can
  // equal a string, so any factsheet that lists blockingTypes fails. Intended: array of enum.
  if (version === '2.1.0' && topic === 'factsheet') {
    const props = child(fixed, 'properties', 'protocolFeatures', 'properties', 'agvActions', 'items', 'properties');
    const blocking = child(props, 'blockingTypes');
    if (props && blocking && Array.isArray(blocking['enum'])) {
      props['blockingTypes'] = { type: 'array', items: { type: 'string', enum: blocking['enum'] } };
    }
  }

  return fixed;
}
