import { ErrorCode, ERROR_HTTP_STATUS } from '@clarion/contracts';
import { codeForStatus, problemFor } from './problem';

describe('problem documents', () => {
  it('maps every error code to an RFC 9457 document with its status', () => {
    for (const code of Object.values(ErrorCode)) {
      const problem = problemFor(code, 'detail', '/api/v1/x', 'corr-1');
      expect(problem).toMatchObject({ status: ERROR_HTTP_STATUS[code], code, instance: '/api/v1/x', correlationId: 'corr-1' });
      expect(problem.type).toMatch(/^urn:clarion:problem:[a-z-]+$/);
      expect(problem.title.length).toBeGreaterThan(0);
    }
  });

  it('answers 504 for a service that did not answer in time and 503 when none is serving', () => {
    expect(problemFor(ErrorCode.UpstreamTimeout, 'late', '/', 'c').status).toBe(504);
    expect(problemFor(ErrorCode.ServiceUnavailable, 'none', '/', 'c').status).toBe(503);
  });

  it('includes field errors only when there are some', () => {
    expect(problemFor(ErrorCode.ValidationFailed, 'bad', '/', 'c')).not.toHaveProperty('errors');
    expect(problemFor(ErrorCode.ValidationFailed, 'bad', '/', 'c', [{ field: 'limit', message: 'too big' }]).errors).toEqual([
      { field: 'limit', message: 'too big' },
    ]);
  });

  it('maps framework statuses back to codes', () => {
    expect(codeForStatus(404)).toBe(ErrorCode.NotFound);
    expect(codeForStatus(413)).toBe(ErrorCode.PayloadTooLarge);
    expect(codeForStatus(418)).toBe(ErrorCode.Internal);
  });
});
