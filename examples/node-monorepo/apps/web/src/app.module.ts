import { Module } from '@nestjs/common';
import { HealthController } from './health/health.controller';
import { ProjectsController } from './projects.controller';

@Module({
  controllers: [HealthController, ProjectsController],
})
export class AppModule {}
