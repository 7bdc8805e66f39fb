import { Controller, Get, Headers, HttpException } from '@nestjs/common';

// The public gateway: forwards to the internal api service with a shared token.
@Controller('projects')
export class ProjectsController {
  private readonly apiUrl = process.env.API_URL ?? 'http://localhost:4000';

  @Get()
  async list(@Headers('x-request-id') requestId?: string) {
    const res = await fetch(`${this.apiUrl}/projects`, {
      headers: {
        authorization: `Bearer ${process.env.INTERNAL_API_TOKEN}`,
        'x-request-id': requestId ?? '',
      },
    });
    if (!res.ok) {
      throw new HttpException('api unavailable', 502);
    }
    return res.json();
  }
}
