/**
 * Parser for GS1 element strings read from medicine packs, pallets, locations, staff badges
 * and patient wristbands: the raw scanner stream (optionally with a symbology identifier, GS
 * as FNC1) and the bracketed human-readable form that nurses key in when a scan fails.
 * Owns splitting into AIs and validating each value against the AI table; every rejection
 * is a Gs1ParseError pointing at the first offending character.
 */
import { aiDefinition, CSET82, matchAi, type AiDefinition, type Gs1Field } from './ai-table.js';
import { gtinCheckDigit } from './check-digit.js';
import { decodeGs1Date } from './gs1-date.js';
import { Gs1ParseError } from './gs1-parse.error.js';

export const GS = '\u001d';

/** GS1 DataMatrix, GS1-128, GS1 QR Code and GS1 DataBar; other symbologies carry no AIs. */
const GS1_SYMBOLOGY_IDS = new Set([']d2', ']C1', ']Q3', ']e0']);

export interface Gs1ElementString {
  /** AI (01), 14 digits including a verified check digit. */
  readonly gtin?: string;
  /** AI (17) as an ISO date 'YYYY-MM-DD'; day 00 already resolved to the month's last day. */
  readonly expiry?: string;
  /** AI (10). */
  readonly lot?: string;
  /** AI (21). */
  readonly serial?: string;
  /** AI (00), 18 digits. */
  readonly sscc?: string;
  /** AI (414), 13 digits. */
  readonly gln?: string;
  /** AI (8017): the GSRN on a caregiver's badge. */
  readonly gsrnProvider?: string;
  /** AI (8018): the GSRN on a patient's wristband. */
  readonly gsrnRecipient?: string;
  /** Every AI in the order read, with its raw value (the expiry stays YYMMDD here). */
  readonly ais: readonly { readonly ai: string; readonly value: string }[];
}

export interface Gs1ParseOptions {
  /** Anchors the century window of dates; defaults to now. Pass the scan time for reproducibility. */
  readonly referenceDate?: Date;
}

interface RawElement {
  readonly definition: AiDefinition;
  readonly value: string;
  readonly aiPosition: number;
  readonly valuePosition: number;
}

export function parseGs1Barcode(input: string, options: Gs1ParseOptions = {}): Gs1ElementString {
  if (typeof input !== 'string') throw new Gs1ParseError('empty_input', 'no barcode text was given', 0);
  // Keyboard-wedge scanners terminate with Enter; that is transport, not data.
  const end = input.replace(/[\r\n]+$/, '').length;
  let start = 0;
  if (input.startsWith(']')) {
    const id = input.slice(0, 3);
    if (!GS1_SYMBOLOGY_IDS.has(id)) {
      throw new Gs1ParseError('unsupported_symbology', `symbology identifier '${id}' is not a GS1 symbology`, 0);
    }
    start = 3;
  }
  // Without a symbology identifier some scanners transmit the leading FNC1 itself, as GS.
  const first = input[start] === GS ? start + 1 : start;
  const elements = input[first] === '(' ? splitBracketed(input, first, end) : splitRaw(input, first, end);
  if (elements.length === 0) throw new Gs1ParseError('empty_input', 'the barcode contains no data', start);
  return assemble(elements, options.referenceDate ?? new Date());
}

function splitRaw(input: string, start: number, end: number): RawElement[] {
  const elements: RawElement[] = [];
  let pos = start;
  while (pos < end) {
    // A GS after a predefined-length field, or doubled, is redundant but harmless.
    if (input[pos] === GS) {
      pos++;
      continue;
    }
    const definition = matchAi(input, pos);
    if (!definition) throw unknownAi(input.slice(pos, Math.min(pos + 4, end)), pos);
    const valuePosition = pos + definition.ai.length;
    let valueEnd: number;
    if (definition.delimited) {
      const separator = input.indexOf(GS, valuePosition);
      valueEnd = separator === -1 || separator > end ? end : separator;
    } else {
      valueEnd = Math.min(valuePosition + definition.maxLength, end);
      const separator = input.indexOf(GS, valuePosition);
      if (separator !== -1 && separator < valueEnd) valueEnd = separator;
    }
    elements.push({ definition, value: input.slice(valuePosition, valueEnd), aiPosition: pos, valuePosition });
    pos = valueEnd;
  }
  return elements;
}

/**
 * In the bracketed form a value ends where the next "(digits)" begins. Parentheses are legal
 * inside lot and serial values, so a lot such as "A(10)B" cannot be told apart from two AIs;
 * GS1 accepts this ambiguity for the human-readable form, which is why scanners send raw.
 */
function splitBracketed(input: string, start: number, end: number): RawElement[] {
  const elements: RawElement[] = [];
  const nextAi = /\s*\(\d{2,4}\)/g;
  let pos = start;
  while (pos < end) {
    while (pos < end && /\s/.test(input[pos])) pos++;
    if (pos >= end) break;
    const close = input.indexOf(')', pos);
    const aiText = close === -1 ? '' : input.slice(pos + 1, close);
    if (input[pos] !== '(' || !/^\d{2,4}$/.test(aiText)) {
      throw new Gs1ParseError('syntax_error', "expected an AI in brackets, such as '(01)'", pos);
    }
    const definition = aiDefinition(aiText);
    if (!definition) throw unknownAi(aiText, pos + 1);
    let valuePosition = close + 1;
    while (valuePosition < end && input[valuePosition] === ' ') valuePosition++;
    nextAi.lastIndex = valuePosition;
    const next = nextAi.exec(input);
    const valueEnd = next && next.index < end ? next.index : end;
    elements.push({ definition, value: input.slice(valuePosition, valueEnd), aiPosition: pos + 1, valuePosition });
    pos = valueEnd;
  }
  return elements;
}

function assemble(elements: readonly RawElement[], referenceDate: Date): Gs1ElementString {
  const fields: Partial<Record<Gs1Field, string>> = {};
  const ais: { ai: string; value: string }[] = [];
  const seen = new Map<string, string>();

  for (const element of elements) {
    const { definition, value, aiPosition } = element;
    const fieldValue = validate(element, referenceDate);
    const previous = seen.get(definition.ai);
    if (previous !== undefined) {
      // Repeating an AI with the same value is allowed by GS1; a different value makes the barcode ambiguous.
      if (previous === value) continue;
      throw new Gs1ParseError(
        'duplicate_ai',
        `AI (${definition.ai}) appears twice with different values ('${previous}' and '${value}')`,
        aiPosition,
        definition.ai,
      );
    }
    seen.set(definition.ai, value);
    ais.push({ ai: definition.ai, value });
    fields[definition.field] = fieldValue;
  }

  for (const { definition, aiPosition } of elements) {
    const requires = definition.requires ?? [];
    if (requires.length > 0 && !requires.some((ai) => seen.has(ai))) {
      const companions = requires.map((ai) => `(${ai})`).join(' or ');
      const explanation = `AI (${definition.ai}) ${definition.title} is only meaningful with AI ${companions} in the same barcode`;
      throw new Gs1ParseError('missing_required_ai', explanation, aiPosition, definition.ai);
    }
  }
  return { ...fields, ais };
}

/** Returns the value to expose in the result field (ISO date for date AIs, else the raw value). */
function validate({ definition: d, value, valuePosition }: RawElement, referenceDate: Date): string {
  const label = `AI (${d.ai}) ${d.title}`;
  const unit = d.charset === 'numeric' ? 'digits' : 'characters';
  const expected = d.minLength === d.maxLength ? `${d.maxLength}` : `1-${d.maxLength}`;

  if (value.length < d.minLength) {
    const got = value.length === 0 ? 'it is empty' : `got ${value.length}`;
    throw new Gs1ParseError('wrong_length', `${label} must be ${expected} ${unit}, ${got}`, valuePosition + value.length, d.ai, {
      expectedLength: expected,
      actualLength: value.length,
    });
  }
  if (value.length > d.maxLength) {
    const reason = d.minLength === d.maxLength ? 'wrong_length' : 'value_too_long';
    throw new Gs1ParseError(reason, `${label} must be ${expected} ${unit}, got ${value.length}`, valuePosition + d.maxLength, d.ai, {
      expectedLength: expected,
      actualLength: value.length,
    });
  }

  const bad = [...value].findIndex((ch) => (d.charset === 'numeric' ? !/^\d$/.test(ch) : !CSET82.test(ch)));
  if (bad !== -1) {
    const shown = JSON.stringify(value[bad]);
    throw d.charset === 'numeric'
      ? new Gs1ParseError('non_digit', `${label} must be digits only, found ${shown}`, valuePosition + bad, d.ai)
      : new Gs1ParseError('invalid_character', `${label} contains ${shown}, which is outside the GS1 character set 82`, valuePosition + bad, d.ai);
  }

  if (d.checkDigit) {
    const expectedDigit = gtinCheckDigit(value.slice(0, -1));
    const actualDigit = Number(value[value.length - 1]);
    if (expectedDigit !== actualDigit) {
      throw new Gs1ParseError('bad_check_digit', `${label} check digit is ${actualDigit}, expected ${expectedDigit}`, valuePosition + value.length - 1, d.ai, {
        expected: expectedDigit,
        actual: actualDigit,
      });
    }
  }

  if (d.date) {
    const decoded = decodeGs1Date(value, referenceDate);
    if (!decoded.ok) {
      throw new Gs1ParseError('invalid_date', `${label} ${value}: ${decoded.reason}`, valuePosition + decoded.offset, d.ai);
    }
    return decoded.iso;
  }
  return value;
}

function unknownAi(text: string, position: number): Gs1ParseError {
  return new Gs1ParseError('unknown_ai', `unknown or unsupported AI at '${text}'`, position);
}
