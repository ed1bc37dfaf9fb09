import { Module } from '@nestjs/common';
import { AlarmsModule } from '../alarms/alarms.module.js';
import { FleetModule } from '../fleet/fleet.module.js';
import { LiveHub } from './live-hub.service.js';
import { LiveProjection } from './live-projection.service.js';
import { LiveReadModel, LiveSnapshots } from './live-read-model.service.js';
import { LiveSessions } from './live-session.service.js';
import { LiveGateway } from './live.gateway.js';
import { LiveMetrics } from './live.metrics.js';

/** Live push to browsers: the socket.io gateway, its rooms, what they show (the read model) and the projection of bus events into them. */
@Module({
  imports: [FleetModule, AlarmsModule],
  providers: [LiveMetrics, LiveReadModel, { provide: LiveSnapshots, useExisting: LiveReadModel }, LiveHub, LiveProjection, LiveSessions, LiveGateway],
})
export class LiveModule {}
