import { describe, expect, it } from '@jest/globals';
import { Controller, Get, Module, Post, type Type } from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import { Public, READ_ROLES, Roles } from './auth.decorators.js';
import { PolicyCheck } from './policy-check.js';
import { WardScope } from './ward-scope.decorators.js';

/** Boots a bare application context holding one controller; resolves with the route table or rejects with the boot error. */
async function boot(controller: Type): Promise<PolicyCheck['routes']> {
  @Module({ imports: [DiscoveryModule], controllers: [controller], providers: [PolicyCheck] })
  class M {}
  const app = await NestFactory.createApplicationContext(M, { logger: false, abortOnError: false });
  try {
    return app.get(PolicyCheck).routes;
  } finally {
    await app.close();
  }
}

describe('PolicyCheck', () => {
  it('tables every route with its roles and ward scope', async () => {
    @Controller('api/things')
    class Things {
      @Roles(...READ_ROLES)
      @Get(':id')
      @WardScope.resource('dose')
      get() {}
      @Public()
      @Get()
      list() {}
    }
    const routes = await boot(Things);
    expect(routes).toContainEqual(
      expect.objectContaining({ method: 'GET', path: '/api/things/:id', roles: READ_ROLES, wardScope: { kind: 'resource', resource: 'dose', param: 'id' } }),
    );
    expect(routes).toContainEqual(expect.objectContaining({ method: 'GET', path: '/api/things', public: true, wardScope: null }));
  });

  it('stops the boot for a route with @Roles and no ward-scope declaration, naming it', async () => {
    @Controller('api/things')
    class Unscoped {
      @Roles('nurse')
      @Get(':id')
      get() {}
    }
    await expect(boot(Unscoped)).rejects.toThrow('routes without a ward-scope declaration (@WardScope.*): Unscoped.get');
  });

  it('stops the boot for a write that admits the safety officer', async () => {
    @Controller('api/things')
    class Writes {
      @Roles(...READ_ROLES)
      @Post(':id/ack')
      @WardScope.resource('alarm')
      ack() {}
    }
    await expect(boot(Writes)).rejects.toThrow('Writes.ack: a write admits a read-only role');
  });

  it('stops the boot for @WardScope.allWards on a route a nurse may call, and for a parameter the path lacks', async () => {
    @Controller('api/things')
    class Contradictions {
      @Roles('pharmacist', 'nurse')
      @Post()
      @WardScope.allWards('pharmacy only')
      create() {}
      @Roles('pharmacist')
      @Get(':thingId')
      @WardScope.resource('order')
      get() {}
    }
    await expect(boot(Contradictions)).rejects.toThrow(
      /Contradictions.create: @WardScope.allWards but @Roles admits a ward-bound role.*Contradictions.get: @WardScope names path parameter 'id'/,
    );
  });
});
