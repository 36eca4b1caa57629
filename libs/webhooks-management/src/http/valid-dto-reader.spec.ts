import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Transform, plainToInstance } from 'class-transformer';
import { IsInt, IsString, ValidateNested, validate } from 'class-validator';
import { PublishBatchEventDto } from './dto/publish-batch.dto';
import { PublishWebhookDto } from './dto/publish-webhook.dto';
import { ValidDtoReader } from './valid-dto-reader';

const JSON_OBJECTS = ['data', 'headers'];

/** What the validation pipe makes of a body: the instance, or null when class-validator refuses it. */
async function readTheFullWay<T extends object>(metatype: new () => T, input: Record<string, unknown>): Promise<T | null> {
  const standIns: Record<string, unknown> = { ...input };
  for (const field of JSON_OBJECTS) {
    const value = input[field];
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) standIns[field] = {};
  }
  const dto = plainToInstance(metatype, standIns) as Record<string, unknown>;
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length) return null;
  for (const field of JSON_OBJECTS) if (Object.hasOwn(input, field)) dto[field] = input[field];
  return dto as T;
}

const BODIES: Record<string, unknown>[] = [
  { webhookName: 'order.created', data: { n: 1 } },
  { webhookName: 'order.created', data: { nested: { list: [1, 'two', null] } }, headers: { 'x-a': 'b' } },
  { webhookName: 'order.created', data: {}, sendExactSameData: true, useOnlyGivenHeaders: false },
  { webhookName: 'order.created', data: {}, sendExactSameData: null, headers: null },
  { webhookName: 'order.created', data: {}, tenantIds: ['a', 'b'] },
  { webhookName: 'a'.repeat(128), data: {} },
  // Refused by class-validator: each must be refused here too.
  { webhookName: 'a'.repeat(129), data: {} },
  { webhookName: '', data: {} },
  { webhookName: 5, data: {} },
  { webhookName: null, data: {} },
  { data: {} },
  { webhookName: 'order.created' },
  { webhookName: 'order.created', data: [1] },
  { webhookName: 'order.created', data: 'x' },
  { webhookName: 'order.created', data: null },
  { webhookName: 'order.created', data: {}, headers: 'x' },
  { webhookName: 'order.created', data: {}, headers: ['x'] },
  { webhookName: 'order.created', data: {}, sendExactSameData: 'true' },
  { webhookName: 'order.created', data: {}, useOnlyGivenHeaders: 1 },
  { webhookName: 'order.created', data: {}, tenantIds: [] },
  { webhookName: 'order.created', data: {}, tenantIds: ['a', 5] },
  { webhookName: 'order.created', data: {}, tenantIds: 'a' },
  { webhookName: 'order.created', data: {}, tenantIds: Array.from({ length: 101 }, (_, i) => `t${i}`) },
  { webhookName: ['order.created'], data: {} },
  { webhookName: { name: 'order.created' }, data: {} },
];

describe('ValidDtoReader', () => {
  for (const metatype of [PublishWebhookDto, PublishBatchEventDto] as (new () => object)[]) {
    it(`accepts a ${metatype.name} exactly when class-validator does, and answers the same instance`, async () => {
      const reader = ValidDtoReader.compile(metatype, JSON_OBJECTS);
      assert.ok(reader, 'compiled');
      const bodies = [
        ...BODIES,
        ...(metatype === PublishBatchEventDto
          ? [
              { webhookName: 'order.created', data: {}, tenantId: 'acme', idempotencyKey: 'k1' },
              { webhookName: 'order.created', data: {}, tenantId: 5 },
              { webhookName: 'order.created', data: {}, idempotencyKey: false },
            ]
          : []),
      ].filter((body) => Object.keys(body).every((key) => isDeclared(metatype, key)));
      for (const body of bodies) {
        const expected = await readTheFullWay(metatype, body);
        const read = reader!.read(body);
        assert.deepEqual(read, expected, JSON.stringify(body).slice(0, 200));
        if (read) {
          assert.ok(read instanceof metatype, 'an instance of the class');
          for (const field of JSON_OBJECTS) if (Object.hasOwn(body, field)) assert.equal((read as never)[field], body[field]);
        }
      }
    });
  }

  it('compiles no reader for a class that class-transformer rebuilds or whose rules nest', () => {
    class Converted {
      @Transform(({ value }) => Number(value))
      @IsInt()
      count: number;
    }
    class Inner {
      @IsString() name: string;
    }
    class Nested {
      @ValidateNested() inner: Inner;
    }
    assert.equal(ValidDtoReader.compile(Converted, []), null);
    assert.equal(ValidDtoReader.compile(Nested, []), null);
  });
});

/** The DTO's fields, as its class-validator rules name them (a body with other fields is refused before the reader). */
function isDeclared(metatype: Function, key: string): boolean {
  const fields: Record<string, string[]> = {
    PublishWebhookDto: ['webhookName', 'data', 'sendExactSameData', 'headers', 'useOnlyGivenHeaders', 'tenantIds'],
    PublishBatchEventDto: [
      'webhookName',
      'data',
      'sendExactSameData',
      'headers',
      'useOnlyGivenHeaders',
      'tenantId',
      'idempotencyKey',
    ],
  };
  return fields[metatype.name].includes(key);
}
