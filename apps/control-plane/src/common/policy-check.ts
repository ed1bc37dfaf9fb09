/**
 * Boot-time proof that every HTTP route declares an access policy (@Public or @Roles).
 * An endpoint added without one stops the server from starting instead of shipping open.
 */
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { IS_PUBLIC, ROLES } from './auth.decorators.js';

@Injectable()
export class PolicyCheck implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    const missing: string[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as object | undefined;
      if (!instance) continue;
      const proto = Object.getPrototypeOf(instance) as object;
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const handler = (proto as Record<string, unknown>)[name] as () => unknown;
        if (this.reflector.get(PATH_METADATA, handler) === undefined) continue;
        const targets = [handler, instance.constructor];
        const hasPolicy = this.reflector.getAllAndOverride(IS_PUBLIC, targets) || this.reflector.getAllAndOverride(ROLES, targets);
        if (!hasPolicy) missing.push(`${instance.constructor.name}.${name}`);
      }
    }
    if (missing.length) throw new Error(`routes without an access policy (@Public or @Roles): ${missing.join(', ')}`);
  }
}
