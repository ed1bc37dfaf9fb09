/** Read side of the sensors feature: views with access checks, and the time series. */
import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../common/auth.decorators.js';
import type { ReadingsQuery } from './sensor.dto.js';
import { SensorStateService, type SensorView } from './sensor-state.service.js';
import { TelemetryStore, type SeriesPoint } from './telemetry-store.service.js';

@Injectable()
export class SensorsQueryService {
  constructor(
    private readonly state: SensorStateService,
    private readonly store: TelemetryStore,
  ) {}

  list(user: AuthUser, ward?: string): Promise<SensorView[]> {
    return this.state.list(user, ward);
  }

  get(id: string, user: AuthUser): Promise<SensorView> {
    return this.state.get(id, user);
  }

  async readings(id: string, q: ReadingsQuery, user: AuthUser): Promise<SeriesPoint[]> {
    await this.state.get(id, user);
    return this.store.series({ deviceId: id, from: q.from, to: q.to, resolution: q.resolution, metric: q.metric, channel: q.channel, limit: q.limit });
  }
}
