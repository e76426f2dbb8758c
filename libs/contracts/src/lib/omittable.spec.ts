import { IsInt, IsOptional, validateSync } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { IsOmittable } from './omittable';

class Omittable {
  @IsOmittable()
  @IsInt()
  count?: number;
}

class Optional {
  @IsOptional()
  @IsInt()
  count?: number;
}

const errorsOf = (cls: new () => object, plain: object): string[] => validateSync(plainToInstance(cls, plain)).map((e) => e.property);

describe('IsOmittable', () => {
  it('accepts the property left out', () => {
    expect(errorsOf(Omittable, {})).toEqual([]);
  });

  it('validates a present value', () => {
    expect(errorsOf(Omittable, { count: 3 })).toEqual([]);
    expect(errorsOf(Omittable, { count: 'three' })).toEqual(['count']);
  });

  it('refuses null, which IsOptional lets through', () => {
    expect(errorsOf(Omittable, { count: null })).toEqual(['count']);
    expect(errorsOf(Optional, { count: null })).toEqual([]);
  });
});
