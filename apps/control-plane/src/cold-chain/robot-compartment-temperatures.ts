/**
 * Robot compartments are cold-chain storages too: a refrigerated compartment reports its
 * temperature in the robot's VDA 5050 state (MedLoop's compartment extension, `temperatureC`
 * on the `medloop.compartment` information entry, EXTENSIONS.md), and this feeds it to the
 * cold chain like a fridge logger's, as storage `<robot id>/<compartment id>`. The time is the
 * server's receipt time: the robot's clock informs nothing about durations. A state arrives
 * every second or so; the reading is passed on when it changed by 0.1 °C or more, or at least
 * every FEED_EVERY_MS, which is plenty for an evaluator that debounces over minutes.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import { readCompartments, type State } from '#contracts';
import { EventBus } from '../common/events.js';
import { LOGGER } from '../common/logger.js';
import { ColdChainService } from './cold-chain.service.js';

const FEED_EVERY_MS = 15_000;

@Injectable()
export class RobotCompartmentTemperatures implements OnApplicationBootstrap, OnModuleDestroy {
  /** storage id → last reading passed on (bounded by robots × compartments) */
  private readonly last = new Map<string, { c: number; at: number }>();
  private sub: Subscription | undefined;

  constructor(
    private readonly coldChain: ColdChainService,
    private readonly bus: EventBus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.bus.on('robot.state').subscribe((e) => this.observe(e.deviceId, e.state, Date.now()));
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  observe(robotId: string, state: Pick<State, 'information' | 'loads'>, now: number): void {
    for (const c of readCompartments(state)) {
      if (!c.refrigerated || c.temperatureC === undefined) continue;
      const storageId = `${robotId}/${c.compartmentId}`;
      const prev = this.last.get(storageId);
      if (prev && Math.abs(prev.c - c.temperatureC) < 0.1 && now - prev.at < FEED_EVERY_MS) continue;
      this.last.set(storageId, { c: c.temperatureC, at: now });
      this.coldChain
        .record({ storageId, storageKind: 'robot_compartment', ward: null, temperatureC: c.temperatureC, at: new Date(now).toISOString() })
        .catch((err: unknown) => this.logger.error({ err, storageId }, 'could not record a robot compartment temperature'));
    }
  }
}
