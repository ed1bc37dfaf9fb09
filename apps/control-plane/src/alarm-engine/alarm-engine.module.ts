import { Module } from '@nestjs/common';
import { AlarmsModule } from '../alarms/alarms.module.js';
import { AlarmEscalationService } from './alarm-escalation.service.js';
import { AlarmRuleEvaluator } from './alarm-rule-evaluator.service.js';
import { AlarmRulesController } from './alarm-rules.controller.js';
import { AlarmRulesService } from './alarm-rules.service.js';

/**
 * The alarm engine: configurable rules per device kind, sensor type and ward (REST), their
 * evaluation over device readings, and the escalation of alarms nobody acknowledges.
 * Alarms themselves are raised and cleared through the AlarmsService.
 */
@Module({
  imports: [AlarmsModule],
  controllers: [AlarmRulesController],
  providers: [AlarmRulesService, AlarmRuleEvaluator, AlarmEscalationService],
  exports: [AlarmRuleEvaluator, AlarmEscalationService],
})
export class AlarmEngineModule {}
