/**
 * What a robot answered to the instant actions MedLoop sent. VDA 5050 instant actions are
 * QoS 0 and unacknowledged: the only answer is the robot's next `state`, where the action
 * shows FAILED in `actionStates`, or an error names it (`errorReferences` actionId, or the
 * topic and headerId of a message it could not validate), or the effect we asked for shows
 * (a compartment reads UNLOCKED). This piece owns that judgement: it waits, for one request,
 * for a state matching the caller's predicate, a refusal of the action, or a timeout; and it
 * logs and counts every robot error about an instant action MedLoop sent, whoever sent it.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import type { InstantActions, State, VdaError } from '#contracts';
import { EventBus } from '../common/events.js';
import { LOGGER } from '../common/logger.js';
import { MetricsService } from '../metrics/metrics.service.js';

/** One instant-actions message as sent, and the robot's errors just before it went out. */
export interface SentInstantActions {
  headerId: number;
  actionIds: readonly string[];
  /** keys (errorKey) of the errors the robot reported before the message was sent */
  baseline: ReadonlySet<string>;
  at: number;
}

export interface RobotRefusal {
  errorType: string;
  description: string;
  actionId: string | null;
}

export type ConfirmationOutcome = { kind: 'confirmed'; state: State } | ({ kind: 'refused' } & RobotRefusal) | { kind: 'timeout' };

export const errorKey = (e: Pick<VdaError, 'errorType' | 'errorDescription'>): string => `${e.errorType}\u0000${e.errorDescription ?? ''}`;

const ref = (e: VdaError, key: string) => e.errorReferences?.find((r) => r.referenceKey === key)?.referenceValue;

/**
 * The robot's refusal of `sent` in this state, if it reports one (pure): an error naming one of
 * its actions, an error naming the message (topic instantActions + its headerId), a
 * validationError about instant actions that was not there before the message went out, or one
 * of its actions FAILED.
 */
export function refusalIn(state: Pick<State, 'actionStates' | 'errors'>, sent: SentInstantActions): RobotRefusal | undefined {
  const ids = new Set(sent.actionIds);
  for (const e of state.errors ?? []) {
    const actionId = ref(e, 'actionId');
    if (actionId !== undefined && ids.has(actionId)) return { errorType: e.errorType, description: e.errorDescription ?? e.errorType, actionId };
    const topic = ref(e, 'topic');
    const headerId = ref(e, 'headerId');
    if (topic === 'instantActions' && headerId !== undefined && headerId === String(sent.headerId))
      return { errorType: e.errorType, description: e.errorDescription ?? e.errorType, actionId: null };
    // a robot that names neither: a fresh validation error about instant actions is about ours
    if (
      e.errorType === 'validationError' &&
      actionId === undefined &&
      headerId === undefined &&
      (topic === undefined || topic === 'instantActions') &&
      ref(e, 'orderId') === undefined &&
      !sent.baseline.has(errorKey(e))
    )
      return { errorType: e.errorType, description: e.errorDescription ?? e.errorType, actionId: null };
  }
  const failed = state.actionStates?.find((a) => ids.has(a.actionId) && a.actionStatus === 'FAILED');
  if (failed)
    return { errorType: 'actionFailed', description: failed.resultDescription ?? `${failed.actionType ?? 'action'} FAILED`, actionId: failed.actionId };
  return undefined;
}

/** How the outcome of one state reads: the effect shows (wins: the device reports it), a refusal, or nothing yet. */
export function judge(state: State, sent: SentInstantActions, confirmed: (s: State) => boolean): ConfirmationOutcome | undefined {
  if (confirmed(state)) return { kind: 'confirmed', state };
  const refusal = refusalIn(state, sent);
  return refusal ? { kind: 'refused', ...refusal } : undefined;
}

/** Instant actions remembered per robot for error reporting: a bounded, recent window. */
const KEEP_PER_ROBOT = 50;
const KEEP_MS = 10 * 60_000;

@Injectable()
export class RobotConfirmations implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly sent = new Map<string, SentInstantActions[]>();
  /** robot errors already logged and counted (robot, error, message), so a repeated state counts once */
  private readonly reported = new Map<string, number>();
  private sub: Subscription | undefined;

  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: MetricsService,
    private readonly bus: EventBus,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.bus.on('robot.state').subscribe((e) => this.surfaceErrors(e.deviceId, e.state));
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  /** Remembers a message just sent (RobotCommandsService calls it for every instant action). */
  noteSent(robotId: string, msg: Pick<InstantActions, 'headerId' | 'actions'>, before: State | null): SentInstantActions {
    const now = Date.now();
    const entry: SentInstantActions = {
      headerId: msg.headerId,
      actionIds: msg.actions.map((a) => a.actionId),
      baseline: new Set((before?.errors ?? []).map(errorKey)),
      at: now,
    };
    const list = (this.sent.get(robotId) ?? []).filter((s) => now - s.at < KEEP_MS);
    list.push(entry);
    this.sent.set(robotId, list.slice(-KEEP_PER_ROBOT));
    return entry;
  }

  /**
   * Sends (through `send`) and waits for the robot's answer: a state for which `confirmed` holds,
   * a refusal of the message, or nothing within `timeoutMs`. States arriving while the message is
   * being sent are judged too; so is the latest known state once it is out (a robot need not
   * send a new state when our command changes nothing it reports).
   */
  async sendAndAwait(
    robotId: string,
    send: () => Promise<SentInstantActions>,
    opts: { confirmed: (s: State) => boolean; timeoutMs: number; latest: () => State | null },
  ): Promise<ConfirmationOutcome> {
    const early: State[] = [];
    let onState: ((s: State) => void) | undefined;
    const sub = this.bus.on('robot.state').subscribe((e) => {
      if (e.deviceId !== robotId) return;
      if (onState) onState(e.state);
      else early.push(e.state);
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      const sent = await send();
      return await new Promise<ConfirmationOutcome>((resolve) => {
        const check = (s: State | null) => {
          const outcome = s ? judge(s, sent, opts.confirmed) : undefined;
          if (outcome) resolve(outcome);
          return outcome !== undefined;
        };
        for (const s of early) if (check(s)) return;
        const latest = opts.latest();
        if (latest && opts.confirmed(latest)) return resolve({ kind: 'confirmed', state: latest });
        onState = (s) => void check(s);
        timer = setTimeout(() => resolve({ kind: 'timeout' }), opts.timeoutMs);
      });
    } finally {
      clearTimeout(timer);
      sub.unsubscribe();
    }
  }

  /** Logs and counts each robot error about an instant action MedLoop sent (once per error and message). */
  surfaceErrors(robotId: string, state: State): void {
    const sent = this.sent.get(robotId);
    if (!sent?.length || !state.errors?.length) return;
    for (const s of sent) {
      const refusal = refusalIn({ errors: state.errors, actionStates: [] }, s);
      if (!refusal) continue;
      const key = `${robotId}\u0000${s.headerId}\u0000${refusal.errorType}\u0000${refusal.description}`;
      if (this.reported.has(key)) continue;
      this.reported.set(key, s.at);
      if (this.reported.size > 1000) for (const k of [...this.reported.keys()].slice(0, 500)) this.reported.delete(k);
      this.metrics.robotActionErrors.inc({ errorType: refusal.errorType });
      this.logger.warn(
        { robotId, errorType: refusal.errorType, description: refusal.description, actionId: refusal.actionId, headerId: s.headerId },
        'robot reports an error about an instant action MedLoop sent',
      );
    }
  }
}
