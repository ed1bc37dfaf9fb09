/**
 * Validates VDA 5050 messages against the official JSON schemas (2.0.0 and 2.1.0) shipped in
 * `libs/contracts/vda5050/`. Runs on every robot message, so each schema is read and
 * compiled once, on first use, and the compiled function is reused.
 *
 * The schema is chosen by the message's own `version` field (2.0.x → 2.0.0, 2.1.x → 2.1.0),
 * because a fleet mixes firmware generations under the same `v2` topic level.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { leniencyFor, type VdaLeniencyKind } from './vda5050.leniency.js';
import { applySchemaErrata } from './vda5050.schema-errata.js';
import type { VdaTopicName } from './vda5050.topics.js';
import type { VdaMessageByTopic, VdaVersion } from './vda5050.types.js';

export interface VdaValidationIssue {
  /** Field path in the message, e.g. `nodes[1].actions[0].blockingType`; '' for the root. */
  path: string;
  message: string;
}

export type VdaValidationResult<T> = { ok: true; message: T; version: VdaVersion } | { ok: false; errors: VdaValidationIssue[] };

/** A lenient validation: accepted strictly (leniencies []), or only thanks to the named leniencies. */
export type VdaLenientResult<T> = { ok: true; message: T; version: VdaVersion; leniencies: VdaLeniencyKind[] } | { ok: false; errors: VdaValidationIssue[] };

const SCHEMA_FILES: Record<VdaVersion, Record<VdaTopicName, string>> = {
  '2.0.0': {
    order: 'order.schema',
    instantActions: 'instantActions.schema',
    state: 'state.schema',
    visualization: 'visualization.schema',
    connection: 'connection.schema',
    factsheet: 'factsheet.json',
  },
  '2.1.0': {
    order: 'order.schema',
    instantActions: 'instantActions.schema',
    state: 'state.schema',
    visualization: 'visualization.schema',
    connection: 'connection.schema',
    factsheet: 'factsheet.schema',
  },
};

const MAX_ISSUES = 20;

/**
 * Find `libs/contracts/vda5050` by walking up from this module. Works from the sources
 * (`libs/contracts/src/vda5050/`, under jest) and from the build (`dist/libs/contracts/src/
 * vda5050/`), where the walk passes `dist/` and finds the folder in the repository root.
 */
export function locateVdaSchemaDir(from: string = import.meta.url): string {
  let dir = dirname(from.startsWith('file:') ? fileURLToPath(from) : from);
  for (;;) {
    const candidate = join(dir, 'libs', 'contracts', 'vda5050');
    if (existsSync(join(candidate, '2.1.0', 'state.schema'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`VDA 5050 schemas not found: no libs/contracts/vda5050 above ${from}`);
    dir = parent;
  }
}

/** Map a declared protocol version onto the schema set that validates it. */
export function schemaVersionFor(version: unknown): VdaVersion | null {
  if (typeof version !== 'string') return null;
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!match || match[1] !== '2') return null;
  if (match[2] === '0') return '2.0.0';
  if (match[2] === '1') return '2.1.0';
  return null;
}

// ajv-formats is CommonJS: depending on the loader its default import is the plugin itself
// or the module object whose `default` is the plugin.
type FormatsPlugin = (ajv: Ajv2020, formats?: string[]) => Ajv2020;
const formatsModule = ajvFormats as unknown as FormatsPlugin & { default?: FormatsPlugin };
const formatsPlugin: FormatsPlugin = formatsModule.default ?? formatsModule;

export class VdaValidator {
  private ajv: Ajv2020 | undefined;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly schemaDir?: string) {}

  validate<K extends VdaTopicName>(topic: K, payload: unknown): VdaValidationResult<VdaMessageByTopic[K]> {
    const r = this.check(topic, payload, false);
    return r.ok ? { ok: true, message: r.message, version: r.version } : r;
  }

  /**
   * Strict first; a message that fails only on issues a named leniency covers (see
   * vda5050.leniency.ts) is accepted with those kinds. Any other failure keeps the strict issues.
   */
  validateLenient<K extends VdaTopicName>(topic: K, payload: unknown): VdaLenientResult<VdaMessageByTopic[K]> {
    return this.check(topic, payload, true);
  }

  private check<K extends VdaTopicName>(topic: K, payload: unknown, lenient: boolean): VdaLenientResult<VdaMessageByTopic[K]> {
    const parsed = parsePayload(payload);
    if ('error' in parsed) return { ok: false, errors: [{ path: '', message: parsed.error }] };
    const message = parsed.value;
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      return { ok: false, errors: [{ path: '', message: 'message must be a JSON object' }] };
    }
    const declared = (message as { version?: unknown }).version;
    const version = schemaVersionFor(declared);
    if (!version) {
      const shown = declared === undefined ? 'missing' : `'${String(declared)}'`;
      return { ok: false, errors: [{ path: 'version', message: `unsupported VDA 5050 version ${shown}; expected 2.0.x or 2.1.x` }] };
    }
    const check = this.validatorFor(version, topic);
    if (check(message)) return { ok: true, message: message as VdaMessageByTopic[K], version, leniencies: [] };
    const errors = check.errors ?? [];
    // judged on every issue, not the reported first MAX_ISSUES: one uncovered past the cut rejects
    const covered = lenient ? leniencyFor(version, topic, errors.map(toIssue)) : null;
    if (covered) return { ok: true, message: message as VdaMessageByTopic[K], version, leniencies: covered };
    return { ok: false, errors: errors.slice(0, MAX_ISSUES).map(toIssue) };
  }

  /** Compile every schema now, e.g. at boot, so the first message does not pay for it. */
  warmUp(): void {
    for (const version of Object.keys(SCHEMA_FILES) as VdaVersion[]) {
      for (const topic of Object.keys(SCHEMA_FILES[version]) as VdaTopicName[]) this.validatorFor(version, topic);
    }
  }

  private validatorFor(version: VdaVersion, topic: VdaTopicName): ValidateFunction {
    const key = `${version}/${topic}`;
    let fn = this.compiled.get(key);
    if (!fn) {
      const dir = this.schemaDir ?? locateVdaSchemaDir();
      const schema = JSON.parse(readFileSync(join(dir, version, SCHEMA_FILES[version][topic]), 'utf8')) as Record<string, unknown>;
      fn = this.getAjv().compile(applySchemaErrata(version, topic, schema));
      this.compiled.set(key, fn);
    }
    return fn;
  }

  private getAjv(): Ajv2020 {
    if (!this.ajv) {
      // strict: false because the official files carry annotation keywords ajv does not know
      // (subtopic, unit) and the 2.0.0 factsheet puts property definitions at its root.
      this.ajv = new Ajv2020({ strict: false, allErrors: true, allowUnionTypes: true });
      formatsPlugin(this.ajv, ['date-time']);
    }
    return this.ajv;
  }
}

function parsePayload(payload: unknown): { value: unknown } | { error: string } {
  if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) return { value: payload };
  const text = typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    return { error: `invalid JSON: ${(err as Error).message}` };
  }
}

/** `/nodes/1/actions/0` → `nodes[1].actions[0]` */
function toPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, seg) => (/^\d+$/.test(seg) ? `${path}[${seg}]` : path ? `${path}.${seg}` : seg), '');
}

function toIssue(error: ErrorObject): VdaValidationIssue {
  const path = toPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const field = String(params['missingProperty']);
      return { path: path ? `${path}.${field}` : field, message: 'is required' };
    }
    case 'enum':
      return { path, message: `must be one of ${(params['allowedValues'] as unknown[]).join(', ')}` };
    case 'type':
      return { path, message: `must be of type ${String(params['type'])}` };
    case 'format':
      return { path, message: `must be a ${String(params['format'])} string (ISO 8601, e.g. 2026-01-01T12:00:00.00Z)` };
    default:
      return { path, message: error.message ?? `violates ${error.keyword}` };
  }
}

let shared: VdaValidator | undefined;

/**
 * Validate one VDA 5050 message (object, JSON string or MQTT payload buffer) for `topic`.
 * Uses a process-wide validator whose schemas compile lazily, once.
 */
export function validateVda<K extends VdaTopicName>(topic: K, payload: unknown): VdaValidationResult<VdaMessageByTopic[K]> {
  shared ??= new VdaValidator();
  return shared.validate(topic, payload);
}

/** `validateVda` with the named leniencies applied after a strict failure (robot → MedLoop messages). */
export function validateVdaLenient<K extends VdaTopicName>(topic: K, payload: unknown): VdaLenientResult<VdaMessageByTopic[K]> {
  shared ??= new VdaValidator();
  return shared.validateLenient(topic, payload);
}
