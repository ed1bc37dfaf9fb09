import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { ApiErrors, jsonSchema } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { AlarmRuleIdParam, SaveAlarmRulesPipe, SaveAlarmRulesSchema, type AlarmRuleInput } from './alarm-rule.dto.js';
import { AlarmRulesService, type AlarmRuleView } from './alarm-rules.service.js';

@ApiTags('alarm-rules')
@ApiBearerAuth()
@Controller('api/alarm-rules')
export class AlarmRulesController {
  constructor(private readonly rules: AlarmRulesService) {}

  @Roles('admin', 'pharmacist', 'ward_pharmacist', 'safety_officer')
  @ApiOperation({ summary: 'List the alarm rules' })
  @Get()
  @WardScope.allWards('alarm rules are site configuration, kept by the pharmacy')
  list(): readonly AlarmRuleView[] {
    return this.rules.all();
  }

  /** Creates or replaces one rule or a list of rules, by id. */
  @Roles('admin', 'pharmacist')
  @ApiOperation({ summary: 'Create or replace alarm rules, by id' })
  @Post()
  @WardScope.allWards('alarm rules are site configuration, kept by the pharmacy')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(SaveAlarmRulesSchema) })
  save(@Body(new SaveAlarmRulesPipe()) rules: AlarmRuleInput[]): Promise<AlarmRuleView[]> {
    return this.rules.save(rules);
  }

  @Roles('admin', 'pharmacist')
  @ApiOperation({ summary: 'Delete an alarm rule' })
  @ApiErrors({ not_found: ['alarm_rule_not_found'] })
  @Delete(':id')
  @WardScope.allWards('alarm rules are site configuration, kept by the pharmacy')
  @HttpCode(204)
  remove(@Param('id', new ZodPipe(AlarmRuleIdParam, 'id')) id: string): Promise<void> {
    return this.rules.remove(id);
  }
}
