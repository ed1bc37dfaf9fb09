import { describe, expect, it } from '@jest/globals';
import { automock, newTestService } from './test-service.js';

const TOKEN = Symbol('TOKEN');
// a stand-in for Nest's @Injectable() / @Inject(): any decorator makes TypeScript record the parameter types
const injectable = (): ClassDecorator => () => undefined;
const inject =
  (token: unknown): ParameterDecorator =>
  (target, _key, index) => {
    const list = (Reflect.getMetadata('self:paramtypes', target) ?? []) as { index: number; param: unknown }[];
    Reflect.defineMetadata('self:paramtypes', [...list, { index, param: token }], target);
  };

class Base {
  base(): number {
    return 1;
  }
}
class Repo extends Base {
  async find(id: string): Promise<string | null> {
    return id;
  }
}
@injectable()
class Service {
  constructor(
    readonly repo: Repo,
    @inject(TOKEN) readonly config: { limit: number },
  ) {}
  async lookup(id: string): Promise<string> {
    return (await this.repo.find(id)) ?? `none (limit ${this.config.limit})`;
  }
}

describe('newTestService', () => {
  it('automocks class collaborators (own and inherited methods) and takes token values', async () => {
    const { sut, mock, token } = newTestService(Service, [[TOKEN, { limit: 3 }]]);
    expect(token<{ limit: number }>(TOKEN).limit).toBe(3);
    mock(Repo).find.mockResolvedValue(null);
    expect(await sut.lookup('x')).toBe('none (limit 3)');
    expect(mock(Repo).find).toHaveBeenCalledWith('x');
    expect(jestFn(mock(Repo).base)).toBe(true);
    expect(() => mock(Base)).toThrow(/does not take a Base/);
  });

  it('gives a token without a value an empty object', () => {
    const { token } = newTestService(Service);
    expect(token(TOKEN)).toEqual({});
    expect(Object.keys(automock(Repo)).sort()).toEqual(['base', 'find']);
  });
});

function jestFn(f: unknown): boolean {
  return typeof f === 'function' && 'mock' in (f as object);
}
