import { ArgumentMetadata, Type, ValidationPipe } from '@nestjs/common';
import { ValidateBy, ValidationOptions, getMetadataStorage } from 'class-validator';
import { hasLoneSurrogate } from '@hookline/webhooks-core';
import { RequestValidationError } from './webhooks-api-error';
import { ValidDtoReader } from './valid-dto-reader';

const IS_JSON_OBJECT = 'isJsonObject';

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A free-form JSON object (event data, custom headers): it must be an object, and it reaches the service
 * exactly as parsed, every key included. (class-transformer would rebuild it and drop keys named like
 * Object.prototype members, such as `constructor`; Nest would delete `__proto__` keys.)
 */
export const IsJsonObject = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: IS_JSON_OBJECT,
      validator: { validate: isJsonObject, defaultMessage: (args) => `${args?.property} must be a JSON object` },
    },
    options,
  );

/** What the pipe needs to know of a DTO class, read once from class-validator's metadata. */
interface DtoShape {
  fields: ReadonlySet<string>;
  jsonObjects: readonly string[];
  /** Reads a valid body of a request's DTO class without class-validator's machinery (null: not compiled). */
  valid: ValidDtoReader<object> | null;
}

/**
 * Validation for the webhooks API: class-validator's rules with unknown fields refused, plus what those
 * rules cannot see or would spoil:
 * - a field named like an object member (`__proto__`, `constructor`, `toString`) is unknown too (class-
 *   transformer would skip it silently);
 * - text with a NUL or a lone surrogate is refused (PostgreSQL cannot store either);
 * - IsJsonObject properties are validated through a stand-in and handed on untouched.
 */
export class WebhooksValidationPipe extends ValidationPipe {
  private readonly shapes = new Map<Function, DtoShape | null>();

  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) => RequestValidationError.fromValidationErrors(errors),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const shape = metadata.metatype ? this.shapeOf(metadata.metatype) : null;
    if (!shape || typeof value !== 'object' || value === null || Array.isArray(value)) {
      return super.transform(value, metadata);
    }
    const input = value as Record<string, unknown>;
    const details = [];
    for (const field of Object.keys(input)) {
      if (!shape.fields.has(field)) details.push({ field, message: `property ${field} should not exist` });
      else if (!shape.jsonObjects.includes(field)) details.push(...unstorableText(field, input[field]));
    }
    if (details.length) throw new RequestValidationError(details);
    // A valid body is read at once; anything else takes the full way, which also words the errors.
    const valid = metadata.type === 'body' ? shape.valid?.read(input) : null;
    if (valid) return valid;
    // The free-form objects are checked through stand-ins of the same JSON type, then put back as they came.
    const standIns = { ...input };
    for (const field of shape.jsonObjects) {
      if (isJsonObject(input[field])) standIns[field] = {};
    }
    const dto = (await super.transform(standIns, metadata)) as Record<string, unknown>;
    for (const field of shape.jsonObjects) {
      if (Object.hasOwn(input, field)) dto[field] = input[field];
    }
    return dto;
  }

  private shapeOf(metatype: Function): DtoShape | null {
    let shape = this.shapes.get(metatype);
    if (shape === undefined) {
      const rules = getMetadataStorage().getTargetValidationMetadatas(metatype, '', true, false);
      const jsonObjects = [...new Set(rules.filter((r) => r.name === IS_JSON_OBJECT).map((r) => r.propertyName))];
      shape = rules.length
        ? {
            fields: new Set(rules.map((r) => r.propertyName)),
            jsonObjects,
            valid: ValidDtoReader.compile(metatype as new () => object, jsonObjects),
          }
        : null;
      this.shapes.set(metatype, shape);
    }
    return shape;
  }
}

const objectPipe = new WebhooksValidationPipe();

/**
 * `value` read as `metatype` by the pipe's rules, as a request body of that type would be: for objects a body
 * carries several of (a batch's events). A RequestValidationError names the fields as in the object itself.
 */
export const validateAs = async <T extends object>(metatype: Type<T>, value: object): Promise<T> =>
  (await objectPipe.transform(value, { type: 'body', metatype })) as T;

/** A detail for text (or a list of texts) PostgreSQL could not store: a NUL or a lone surrogate. */
function unstorableText(field: string, value: unknown): { field: string; message: string }[] {
  const texts = Array.isArray(value) ? value : [value];
  const bad = texts.some((t) => typeof t === 'string' && (t.includes('\0') || hasLoneSurrogate(t)));
  return bad ? [{ field, message: 'must not contain a NUL character or a lone surrogate' }] : [];
}
