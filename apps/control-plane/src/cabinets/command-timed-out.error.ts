import { DomainError } from '#domain';

/** The device did not acknowledge in time (HTTP 503): the command is `timed_out` and an alarm is raised. */
export class CommandTimedOutError extends DomainError {
  readonly kind = 'unavailable' as const;
  constructor(message: string, details?: Record<string, unknown>) {
    super(message, 'command_timed_out', details);
  }
}
