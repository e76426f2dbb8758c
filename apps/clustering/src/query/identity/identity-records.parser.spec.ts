import { ErrorCode } from '@clarion/contracts';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { canonicalIp, identityInputsFromCsv, identityInputsFromJson, validateIdentity, type IdentityRecord } from './identity-records.parser';

const verdicts = (csv: string) => identityInputsFromCsv(csv).map((input) => ({ at: input.at, ...validateIdentity(input) }));

describe('identity records', () => {
  it('reads the CSV columns in any header order and splits groups on ";"', () => {
    expect(verdicts('user,IP,groups\n" Doe, John ",10.0.0.1,"Staff; VPN ;Staff"\n')).toEqual([
      { at: 2, record: { endpointKeys: ['ip:10.0.0.1'], deviceType: null, user: 'Doe, John', groups: ['Staff', 'VPN'] } },
    ]);
  });

  it('keys a record by MAC and IP when it names both, normalising both', () => {
    expect(validateIdentity({ at: 0, mac: 'AA-BB-CC-00-11-22', ip: '2001:DB8:0::0:1' })).toEqual({
      record: { endpointKeys: ['mac:aa:bb:cc:00:11:22', 'ip:2001:db8::1'], deviceType: null, user: null, groups: [] },
    });
  });

  it('rejects a record without a usable MAC or IP, saying why', () => {
    const reasons = verdicts('mac,ip,device_type\nzz:zz:zz:zz:zz:zz,,printer\nff:ff:ff:ff:ff:ff,,\n,10.0.0.300,\n,,printer\n,fe80::1%eth0,\na,b,c,d\n');
    expect(reasons.map((r) => [r.at, 'reason' in r ? r.reason.split(' ').slice(0, 2).join(' ') : 'ok'])).toEqual([
      [2, 'invalid MAC'],
      [3, 'invalid MAC'],
      [4, 'invalid IP'],
      [5, 'a MAC'],
      [6, 'invalid IP'],
      [7, 'more fields'],
    ]);
  });

  it('bounds field lengths', () => {
    expect(validateIdentity({ at: 0, ip: '10.0.0.1', user: 'u'.repeat(257) })).toEqual({ reason: 'user is longer than 256 characters' });
    expect(validateIdentity({ at: 0, ip: '10.0.0.1', groups: Array.from({ length: 65 }, (_, i) => `g${i}`) })).toEqual({ reason: 'more than 64 groups' });
    expect(validateIdentity({ at: 0, ip: '10.0.0.1', deviceType: 42 })).toEqual({ reason: 'device type must be text' });
  });

  it('requires the header', () => {
    expect(() => identityInputsFromCsv('aa:bb:cc:00:11:22,10.0.0.1,printer,,\n')).toThrow(expect.objectContaining({ code: ErrorCode.ValidationFailed }));
    expect(() => identityInputsFromCsv('device_type,user\nprinter,x\n')).toThrow(expect.objectContaining({ code: ErrorCode.ValidationFailed }));
    expect(() => identityInputsFromCsv('')).toThrow(expect.objectContaining({ code: ErrorCode.ValidationFailed }));
  });

  it('reads a JSON array, indexing records from 0, and refuses anything else', () => {
    expect(identityInputsFromJson('[{"ip":"10.0.0.1","groups":["A"]}, 5]').map((i) => validateIdentity(i))).toEqual([
      { record: { endpointKeys: ['ip:10.0.0.1'], deviceType: null, user: null, groups: ['A'] } },
      { reason: 'not an object' },
    ]);
    expect(() => identityInputsFromJson('{"ip":"10.0.0.1"}')).toThrow(expect.objectContaining({ code: ErrorCode.ValidationFailed }));
    expect(() => identityInputsFromJson('[')).toThrow(expect.objectContaining({ code: ErrorCode.ValidationFailed }));
  });

  it('gives back random identity records serialised as CSV (property)', () => {
    const text = fc
      .string({ unit: fc.constantFrom('a', 'B', '7', ' ', ',', '"', '\n', 'é', '-', '_'), minLength: 1, maxLength: 20 })
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    const mac = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 }).map((b) => {
      b[0] = (b[0] & 0xfe) | 0x02; // unicast, locally administered: never the group bit, never all zeros
      return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
    });
    const ip = fc.ipV4();
    const record = fc.record({
      mac: fc.option(mac, { nil: null }),
      ip: fc.option(ip, { nil: null }),
      deviceType: fc.option(text, { nil: null }),
      user: fc.option(text, { nil: null }),
      groups: fc.uniqueArray(text, { maxLength: 5 }),
    }).filter((r) => r.mac !== null || r.ip !== null);
    fc.assert(
      fc.property(fc.array(record, { maxLength: 20 }), (records) => {
        const csv = stringify(
          [['mac', 'ip', 'device_type', 'user', 'groups'], ...records.map((r) => [r.mac ?? '', r.ip ?? '', r.deviceType ?? '', r.user ?? '', r.groups.join(';')])],
          { record_delimiter: 'windows', quote_record_delimiter: true, eof: false, quoted_match: /^\ufeff/ },
        );
        const expected: IdentityRecord[] = records.map((r) => ({
          endpointKeys: [...(r.mac ? [`mac:${r.mac}`] : []), ...(r.ip ? [`ip:${canonicalIp(r.ip)}`] : [])],
          deviceType: r.deviceType,
          user: r.user,
          groups: r.groups,
        }));
        expect(verdicts(csv).map((v) => ('record' in v ? v.record : v))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
