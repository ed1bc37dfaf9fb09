/**
 * The single error type of the GS1 parser. It is a ValidationError (HTTP 400, field
 * `barcode`) so the edge filter needs no special case, and it carries enough context
 * (failure kind, AI, position) for a scanner UI to highlight what was wrong.
 */
import { ValidationError } from '../errors.js';

export type Gs1ParseFailure =
  | 'empty_input'
  | 'unsupported_symbology'
  | 'syntax_error'
  | 'unknown_ai'
  | 'wrong_length'
  | 'value_too_long'
  | 'non_digit'
  | 'invalid_character'
  | 'bad_check_digit'
  | 'invalid_date'
  | 'duplicate_ai'
  | 'missing_required_ai';

export class Gs1ParseError extends ValidationError {
  constructor(
    readonly reason: Gs1ParseFailure,
    /** Precise explanation, without the position (it is appended to the message). */
    readonly explanation: string,
    /** 0-based index in the raw input of the first offending character. */
    readonly position: number,
    readonly ai?: string,
    extra?: Readonly<Record<string, unknown>>,
  ) {
    super(`invalid GS1 barcode: ${explanation} (at position ${position})`, 'barcode', {
      reason,
      position,
      ...(ai === undefined ? {} : { ai }),
      ...extra,
    });
  }
}
