export { AI_DEFINITIONS } from './ai-table.js';
export type { AiDefinition, Gs1Field } from './ai-table.js';
export { gtinCheckDigit, isValidGs1CheckDigit } from './check-digit.js';
export { decodeGs1Date, gs1Year } from './gs1-date.js';
export type { Gs1DateResult } from './gs1-date.js';
export { Gs1ParseError } from './gs1-parse.error.js';
export type { Gs1ParseFailure } from './gs1-parse.error.js';
export { GS, parseGs1Barcode } from './gs1-barcode.parser.js';
export type { Gs1ElementString, Gs1ParseOptions } from './gs1-barcode.parser.js';
