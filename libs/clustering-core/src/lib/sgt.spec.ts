import { allocateSgt, categoryOfSgt, isValidSgt, resolveSgt, SgtCategory, sgtNameFor, UNKNOWN_SGT } from './sgt';

describe('SGT mapping', () => {
  it('places values in the conventional ranges and 0 nowhere', () => {
    expect([0, 2, 9, 10, 19, 20, 29, 30, 39, 40].map(categoryOfSgt)).toEqual([
      null, SgtCategory.USERS, SgtCategory.USERS, SgtCategory.SERVERS, SgtCategory.SERVERS, SgtCategory.DEVICES, SgtCategory.DEVICES,
      SgtCategory.SPECIAL, SgtCategory.SPECIAL, null,
    ]);
  });

  it('allocates the lowest free value of a range and null when it is full', () => {
    expect(allocateSgt(SgtCategory.DEVICES, [20, 21, 23])).toBe(22);
    expect(allocateSgt(SgtCategory.USERS, [2, 3, 4, 5, 6, 7, 8, 9])).toBeNull();
  });

  it('resolves a flow tag before a membership and falls back to Unknown', () => {
    expect(resolveSgt(17, 4)).toBe(17);
    expect(resolveSgt(0, 4)).toBe(4);
    expect(resolveSgt(null, null)).toBe(UNKNOWN_SGT);
    expect(resolveSgt(70000, undefined)).toBe(UNKNOWN_SGT);
  });

  it('accepts only 16-bit values and makes CLI-safe names', () => {
    expect([0, 65535, 65536, -1, 1.5].map(isValidSgt)).toEqual([true, true, false, false, false]);
    expect(sgtNameFor('Printers: 94 % use tcp/9100')).toBe('PRINTERS_94_USE_TCP_9100');
    expect(sgtNameFor('%%')).toBe('UNNAMED');
  });
});
