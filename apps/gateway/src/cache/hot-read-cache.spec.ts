import { etagOfText, RecentAnswers } from './hot-read-cache';

const answer = (text: string) => ({ etag: etagOfText(text), body: text });

describe('RecentAnswers (bodies an instance keeps so Redis need only confirm their ETag)', () => {
  it('answers a body only for the ETag it was kept with, as text or as bytes', () => {
    const recent = new RecentAnswers(1_000);
    const a = answer('{"a":"é"}');
    expect(recent.tagOf('r')).toBe('');
    recent.remember('r', a);
    expect(recent.tagOf('r')).toBe(a.etag);
    expect(recent.body('r', a.etag, 'text')).toBe(a.body);
    expect(recent.body('r', a.etag, 'bytes')).toEqual(Buffer.from(a.body, 'utf8'));
    expect(recent.body('r', 'W/"other"', 'text')).toBeUndefined();
    expect(recent.body('elsewhere', a.etag, 'text')).toBeUndefined();
  });

  it('reads bytes back as the same text', () => {
    const recent = new RecentAnswers(1_000);
    const text = '{"label":"Drucker «Büro»"}';
    recent.remember('r', { etag: etagOfText(text), body: Buffer.from(text, 'utf8') });
    expect(recent.body('r', etagOfText(text), 'text')).toBe(text);
  });

  it('replaces the copy of a resource with a newer answer', () => {
    const recent = new RecentAnswers(1_000);
    recent.remember('r', answer('"old"'));
    recent.remember('r', answer('"new"'));
    expect(recent.size).toBe(1);
    expect(recent.tagOf('r')).toBe(etagOfText('"new"'));
    expect(recent.body('r', etagOfText('"old"'), 'text')).toBeUndefined();
    expect(recent.heldBytes).toBe('"new"'.length * 2);
  });

  it('stays within its byte budget, dropping the least recently used first', () => {
    const body = 'x'.repeat(100); // 200 bytes as text
    const recent = new RecentAnswers(500);
    recent.remember('a', answer(body));
    recent.remember('b', answer(body));
    expect(recent.body('a', etagOfText(body), 'text')).toBe(body); // a is now the most recently used
    recent.remember('c', answer(body));
    expect(recent.heldBytes).toBeLessThanOrEqual(500);
    expect([recent.tagOf('a') !== '', recent.tagOf('b') !== '', recent.tagOf('c') !== '']).toEqual([true, false, true]);
    // Adding the other form of a body counts too.
    recent.body('a', etagOfText(body), 'bytes');
    expect(recent.heldBytes).toBeLessThanOrEqual(500);
    expect(recent.tagOf('c')).not.toBe('');
  });

  it('keeps nothing larger than its budget, and nothing at all with a budget of 0', () => {
    const big = new RecentAnswers(10);
    big.remember('r', answer('"a body longer than ten bytes"'));
    expect(big.tagOf('r')).toBe('');
    expect(big.heldBytes).toBe(0);
    const none = new RecentAnswers(0);
    none.remember('r', answer('"x"'));
    expect(none.size).toBe(0);
  });

  it('keeps at most its entry bound however small the bodies, dropping the least recently used', () => {
    const recent = new RecentAnswers(1_000, 2);
    recent.remember('a', answer('1'));
    recent.remember('b', answer('2'));
    recent.body('a', etagOfText('1'), 'text');
    recent.remember('c', answer('3'));
    expect(recent.size).toBe(2);
    expect([recent.tagOf('a'), recent.tagOf('b'), recent.tagOf('c')]).toEqual([etagOfText('1'), '', etagOfText('3')]);
    expect(recent.heldBytes).toBe(4);
  });
});
