import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { firstValueFrom, of } from 'rxjs';
import { EtagInterceptor, etagOf, matchesIfNoneMatch } from './etag.interceptor';

function run(body: unknown, ifNoneMatch?: string) {
  const headers: Record<string, string> = {};
  let status = 200;
  const reply = {
    header(name: string, value: string) {
      headers[name] = value;
      return reply;
    },
    status(code: number) {
      status = code;
      return reply;
    },
  };
  const request = { method: 'GET', headers: ifNoneMatch ? { 'if-none-match': ifNoneMatch } : {} };
  const context = { switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }) } as unknown as ExecutionContext;
  const handler: CallHandler = { handle: () => of(body) };
  return firstValueFrom(new EtagInterceptor().intercept(context, handler)).then((out) => ({ out, headers, status }));
}

describe('ETag / If-None-Match', () => {
  it('tags equal bodies equally and different bodies differently', () => {
    expect(etagOf({ a: 1 })).toBe(etagOf({ a: 1 }));
    expect(etagOf({ a: 1 })).not.toBe(etagOf({ a: 2 }));
    expect(etagOf({ a: 1 })).toMatch(/^W\/"[A-Za-z0-9_-]{27}"$/);
  });

  it('compares weakly, in lists and with *', () => {
    const tag = etagOf('x');
    expect(matchesIfNoneMatch(tag, tag)).toBe(true);
    expect(matchesIfNoneMatch(`"other", ${tag.replace('W/', '')}`, tag)).toBe(true);
    expect(matchesIfNoneMatch('*', tag)).toBe(true);
    expect(matchesIfNoneMatch('"other"', tag)).toBe(false);
    expect(matchesIfNoneMatch(undefined, tag)).toBe(false);
  });

  it('answers 200 with the tag, and 304 without a body when the client already has it', async () => {
    const first = await run({ items: [1] });
    expect(first).toMatchObject({ out: { items: [1] }, status: 200 });
    expect(first.headers['etag']).toBe(etagOf({ items: [1] }));
    const again = await run({ items: [1] }, first.headers['etag']);
    expect(again).toMatchObject({ out: undefined, status: 304 });
    const changed = await run({ items: [2] }, first.headers['etag']);
    expect(changed).toMatchObject({ out: { items: [2] }, status: 200 });
  });
});
