/**
 * Column helpers that behave the same on SQLite and PostgreSQL. Instants are stored as
 * fixed-width ISO-8601 UTC strings: portable, sortable as text, free of time-zone
 * conversions in drivers, and byte-stable for the custody hash chain.
 */
import { Column, type ColumnOptions, type ValueTransformer } from 'typeorm';

const isoDate: ValueTransformer = {
  to: (v: Date | null | undefined) => (v == null ? v : v.toISOString()),
  from: (v: string | null) => (v == null ? v : new Date(v)),
};

export function TimestampColumn(options: Pick<ColumnOptions, 'nullable' | 'name'> = {}): PropertyDecorator {
  return Column({ type: 'varchar', length: 24, transformer: isoDate, ...options });
}

/** JSON stored as text; objects round-trip through JSON.stringify/parse on both databases. */
export function JsonColumn(options: Pick<ColumnOptions, 'nullable' | 'name'> = {}): PropertyDecorator {
  return Column({ type: 'simple-json', ...options });
}
