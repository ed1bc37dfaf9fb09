/**
 * The GS1 Application Identifiers this product understands, as data: length, character set,
 * check digit, date semantics, which result field they fill and which AI must accompany them.
 * Supporting another AI (e.g. 11 production date, 710-715 national numbers) is one new row.
 */

export type Gs1Field = 'gtin' | 'expiry' | 'lot' | 'serial' | 'sscc' | 'gln' | 'gsrnProvider' | 'gsrnRecipient';

export interface AiDefinition {
  readonly ai: string;
  readonly title: string;
  readonly field: Gs1Field;
  readonly minLength: number;
  readonly maxLength: number;
  /**
   * False only for AIs in GS1's predefined-length table (prefixes 00-04, 11-20, 31-36, 41):
   * their length is implied, so no FNC1 follows them. Every other AI, even one of fixed
   * length such as 8017, ends at FNC1 (GS) unless it is last.
   */
  readonly delimited: boolean;
  readonly charset: 'numeric' | 'cset82';
  readonly checkDigit?: true;
  readonly date?: true;
  /** At least one of these AIs must appear in the same barcode (GS1 "requires" associations). */
  readonly requires?: readonly string[];
}

const fixedNumeric = (length: number, delimited: boolean) => ({ minLength: length, maxLength: length, delimited, charset: 'numeric' }) as const;

// One row per AI reads as a table; keep it that way.
// prettier-ignore
export const AI_DEFINITIONS: readonly AiDefinition[] = [
  { ai: '00', title: 'SSCC', field: 'sscc', ...fixedNumeric(18, false), checkDigit: true },
  { ai: '01', title: 'GTIN', field: 'gtin', ...fixedNumeric(14, false), checkDigit: true },
  { ai: '10', title: 'batch/lot', field: 'lot', minLength: 1, maxLength: 20, delimited: true, charset: 'cset82', requires: ['01'] },
  { ai: '17', title: 'expiry date', field: 'expiry', ...fixedNumeric(6, false), date: true, requires: ['01'] },
  { ai: '21', title: 'serial number', field: 'serial', minLength: 1, maxLength: 20, delimited: true, charset: 'cset82', requires: ['01'] },
  { ai: '414', title: 'GLN of a physical location', field: 'gln', ...fixedNumeric(13, false), checkDigit: true },
  { ai: '8017', title: 'GSRN of a service provider', field: 'gsrnProvider', ...fixedNumeric(18, true), checkDigit: true },
  { ai: '8018', title: 'GSRN of a service recipient', field: 'gsrnRecipient', ...fixedNumeric(18, true), checkDigit: true },
];

const BY_AI: ReadonlyMap<string, AiDefinition> = new Map(AI_DEFINITIONS.map((d) => [d.ai, d]));

export function aiDefinition(ai: string): AiDefinition | undefined {
  return BY_AI.get(ai);
}

/**
 * GS1 AIs are prefix-free (no AI is the start of another), so the first length that matches
 * a known AI is the only possible reading of the stream.
 */
export function matchAi(input: string, position: number): AiDefinition | undefined {
  for (const length of [2, 3, 4]) {
    const definition = BY_AI.get(input.slice(position, position + length));
    if (definition) return definition;
  }
  return undefined;
}

/** GS1 AI encodable character set 82 (General Specifications figure 7.11-1). */
export const CSET82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]$/;
