import { Controller, Get } from '@nestjs/common';
import { healthBody } from '@acme/shared';

@Controller('health')
export class HealthController {
  @Get()
  check() {
    return healthBody('web');
  }
}
