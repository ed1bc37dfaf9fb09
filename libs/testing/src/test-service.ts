/**
 * The middle of the test pyramid: one service of the control plane built the way Nest would
 * build it, with every collaborator it declares in its constructor replaced by an automock
 * (each method a `jest.fn()`, resolving to undefined unless told otherwise). Immich's
 * `newTestService(X)` is the model. Collaborators injected by token (`@Inject(LOGGER)`,
 * `@Inject(APP_CONFIG)`) get a plain automock too, or the value given in `tokens`.
 *
 *   const { sut, mock } = newTestService(MissionLifecycle);
 *   mock(MissionsRepository).findById.mockResolvedValue(mission);
 *   await sut.cancel(mission.id, 'ph.li');
 *   expect(mock(EventBus).emit).toHaveBeenCalledWith('mission.changed', …);
 *
 * Pure: reads the constructor's design-time parameter types (emitDecoratorMetadata) and Nest's
 * `self:paramtypes` metadata by key; imports nothing of Nest or of the apps.
 */
import 'reflect-metadata';
import { jest } from '@jest/globals';

type Ctor<T = unknown> = abstract new (...args: any[]) => T;
type AnyFn = (...args: any[]) => any;
/** every method of T as a jest mock, every other member as it is typed */
export type Automock<T> = { [K in keyof T]: T[K] extends AnyFn ? jest.MockedFunction<T[K]> : T[K] };

/** An object with each method of the class (and its bases) as a `jest.fn()`. */
export function automock<T>(type: Ctor<T>): Automock<T> {
  const mock: Record<string, unknown> = {};
  for (let proto = type.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || name in mock) continue;
      const d = Object.getOwnPropertyDescriptor(proto, name);
      if (d && typeof d.value === 'function') mock[name] = jest.fn();
    }
  }
  return mock as Automock<T>;
}

export interface TestService<S> {
  sut: S;
  /** the automock (or given value) the service received for this collaborator class */
  mock<T>(type: Ctor<T>): Automock<T>;
  /** the value the service received for an injection token */
  token<T = unknown>(token: unknown): T;
}

/**
 * Builds `Service` with automocked collaborators. `tokens` supplies values for `@Inject(TOKEN)`
 * parameters (and may replace a class's automock: key it by the class).
 */
export function newTestService<S>(Service: new (...args: any[]) => S, tokens: ReadonlyMap<unknown, unknown> | [unknown, unknown][] = []): TestService<S> {
  const given = new Map(tokens instanceof Map ? tokens : (tokens as [unknown, unknown][]));
  const types = (Reflect.getMetadata('design:paramtypes', Service) as unknown[] | undefined) ?? [];
  const injected = (Reflect.getMetadata('self:paramtypes', Service) as { index: number; param: unknown }[] | undefined) ?? [];
  const keyOf = (i: number): unknown => injected.find((p) => p.index === i)?.param ?? types[i];
  const values = new Map<unknown, unknown>();
  const args = types.map((_, i) => {
    const key = keyOf(i);
    if (values.has(key)) return values.get(key);
    const value = given.has(key) ? given.get(key) : typeof key === 'function' && key !== Object ? automock(key as Ctor) : {};
    values.set(key, value);
    return value;
  });
  const sut = new Service(...args);
  return {
    sut,
    mock: <T>(type: Ctor<T>) => {
      if (!values.has(type)) throw new Error(`${Service.name} does not take a ${type.name}`);
      return values.get(type) as Automock<T>;
    },
    token: <T>(token: unknown) => {
      if (!values.has(token)) throw new Error(`${Service.name} does not inject ${String(token)}`);
      return values.get(token) as T;
    },
  };
}
