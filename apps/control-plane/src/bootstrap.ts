/**
 * Builds and starts the control plane: HTTP API (with OpenAPI), the embedded broker and the
 * database, in that lifecycle order. Used by main.ts and by the end-to-end tests, so tests
 * run exactly what production runs.
 */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { PortInUseError } from '#broker';
import { AppModule } from './app.module.js';
import { answerClientErrors } from './common/http-client-errors.js';
import { buildOpenApiDocument } from './common/openapi.js';
import { createLogger, PinoNestLogger } from './common/logger.js';
import type { AppConfig } from './config/config.js';
import { MetricsService } from './metrics/metrics.service.js';
import { httpMetricsMiddleware } from './metrics/http-metrics.middleware.js';
import { MqttService } from './mqtt/mqtt.service.js';
import { loadSite } from './site/site.service.js';

export interface ControlPlane {
  app: INestApplication;
  logger: Logger;
  httpPort: number;
  mqttPorts: Partial<Record<'tcp' | 'tls' | 'ws', number>>;
  close(): Promise<void>;
}

const JSON_LIMIT = '1mb';

export async function startControlPlane(config: AppConfig, opts: { logger?: Logger; shutdownHooks?: boolean } = {}): Promise<ControlPlane> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  // parsed first: a bad site file must stop the start before a database connection is opened
  const site = loadSite(config.siteFile);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, logger, site), {
    logger: new PinoNestLogger(logger),
    bodyParser: false,
    abortOnError: false,
  });
  app.disable('x-powered-by');
  // the client address (sign-in throttling, session lists, logs) is the socket's, or the one a
  // configured proxy forwarded: an X-Forwarded-For from anyone else is ignored
  app.set('trust proxy', config.trustedProxies.length > 0 ? config.trustedProxies : false);
  app.use(httpMetricsMiddleware(app.get(MetricsService)));
  app.use(express.json({ limit: JSON_LIMIT }));
  // body-parser errors (bad JSON, too large) answer as JSON like every other error, never
  // with express's default HTML page and its stack trace
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (!err) return next();
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 400;
    const error = err.type === 'entity.too.large' ? 'payload_too_large' : err.type === 'entity.parse.failed' ? 'invalid_json' : 'bad_request';
    const message =
      error === 'invalid_json'
        ? `body is not valid JSON: ${err.message}`
        : error === 'payload_too_large'
          ? `body exceeds ${JSON_LIMIT}`
          : 'malformed request body';
    app.get(MetricsService).rejectedInput('http', 'body', error);
    res.status(status).json({ statusCode: status, error, message });
  });
  // requests the HTTP parser refuses (headers over the limit, a malformed request line) answer
  // with the same JSON error body, not Node's bare status line
  answerClientErrors(app.getHttpServer(), app.get(MetricsService));
  if (opts.shutdownHooks !== false) app.enableShutdownHooks(['SIGTERM', 'SIGINT']);

  const doc = buildOpenApiDocument(app);
  SwaggerModule.setup('api/docs', app, doc, { jsonDocumentUrl: 'api/docs-json' });
  serveWebUi(app, config.webDir, logger);

  try {
    await app.listen(config.http.port, config.http.host);
  } catch (err) {
    await app.close().catch(() => undefined);
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError('HTTP_PORT', config.http.port, config.http.host);
    throw err;
  }
  const address = app.getHttpServer().address() as { port: number };
  const mqtt = app.get(MqttService);
  return {
    app,
    logger,
    httpPort: address.port,
    mqttPorts: mqtt.broker.ports,
    close: () => app.close(),
  };
}

/**
 * The built web UI (apps/web, built by `npm run build`) at `/`. Its hashed assets are cached
 * for good; index.html never, so a new build reaches browsers on the next load. A missing build
 * is a warning, not a failure: the API and devices do not need it.
 */
function serveWebUi(app: NestExpressApplication, webDir: string | null, logger: Logger): void {
  if (webDir === null) return;
  const dir = resolve(webDir);
  if (!existsSync(resolve(dir, 'index.html'))) {
    logger.warn({ webDir: dir }, 'web UI not built (run npm run build): / will answer 404');
    return;
  }
  app.use(
    express.static(dir, {
      index: 'index.html',
      setHeaders: (res, path) => res.setHeader('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'),
    }),
  );
}
