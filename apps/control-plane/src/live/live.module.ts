import { Module } from '@nestjs/common';
import { AlarmsModule } from '../alarms/alarms.module.js';
import { FleetModule } from '../fleet/fleet.module.js';
import { LiveAccessWatch } from './live-access-watch.service.js';
import { LiveHub } from './live-hub.service.js';
import { LiveProjection } from './live-projection.service.js';
import { LiveReadModel, LiveSnapshots } from './live-read-model.service.js';
import { LiveSessions } from './live-session.service.js';
import { LiveGateway } from './live.gateway.js';
import { LiveMetrics } from './live.metrics.js';

/**
 * Live push to browsers: the socket.io gateway, its rooms, what they show (the read model), the
 * projection of bus events into them, and the watch that keeps each socket within its user's
 * access and its session's life.
 */
@Module({
  imports: [FleetModule, AlarmsModule],
  providers: [
    LiveMetrics,
    LiveReadModel,
    { provide: LiveSnapshots, useExisting: LiveReadModel },
    LiveHub,
    LiveProjection,
    LiveAccessWatch,
    LiveSessions,
    LiveGateway,
  ],
})
export class LiveModule {}
