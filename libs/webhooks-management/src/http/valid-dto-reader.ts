import { ValidationTypes, getMetadataStorage } from 'class-validator';
import type { ValidationArguments, ValidatorConstraintInterface } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { TransformationType } from 'class-transformer';
import type { MetadataStorage as TransformerMetadataStorage } from 'class-transformer/types/MetadataStorage';

// class-transformer's decorators record into this store; the package exports its type but not the store itself.
const transformerMetadata: TransformerMetadataStorage = require('class-transformer/cjs/storage').defaultMetadataStorage;

/** One rule of a property: the constraint's validate() and the arguments class-validator would give it. */
interface Rule {
  validators: ValidatorConstraintInterface[];
  constraints: unknown[];
  each: boolean;
}

interface PropertyRules {
  property: string;
  /** IsOptional and ValidateIf: the property is not validated unless each says so. */
  conditions: ((object: object, value: unknown) => boolean)[];
  rules: Rule[];
}

/**
 * Reads a request body as a DTO class by its class-validator rules when every rule passes, without
 * class-validator's and class-transformer's machinery: the same constraint functions on the same values,
 * compiled once per class. It only ever accepts: for anything it cannot vouch for (a rule that fails, a value
 * class-transformer would rebuild, a rule it does not know) it answers null, and the caller reads the body the
 * full way, which also writes the errors. So what is accepted, and every error, is as class-validator has it.
 *
 * Compiled only for classes whose rules are plain constraints (no nested or promise validation, no groups,
 * no async constraint) and that class-transformer copies as they are (no @Type, @Transform, @Expose, @Exclude).
 */
export class ValidDtoReader<T extends object> {
  private constructor(
    private readonly metatype: new () => T,
    private readonly properties: readonly PropertyRules[],
    private readonly jsonObjects: ReadonlySet<string>,
  ) {}

  /** The reader of `metatype`, or null when its rules are not of the kind it compiles. */
  static compile<T extends object>(metatype: new () => T, jsonObjects: readonly string[]): ValidDtoReader<T> | null {
    const storage = getMetadataStorage();
    const metadatas: ValidationMetadata[] = storage.getTargetValidationMetadatas(metatype, '', true, false);
    if (!metadatas.length || !copiedAsIs(metatype, metadatas)) return null;
    const byProperty = new Map<string, PropertyRules>();
    for (const m of metadatas) {
      if (m.groups?.length || m.always || m.validateIf) return null;
      let property = byProperty.get(m.propertyName);
      if (!property) byProperty.set(m.propertyName, (property = { property: m.propertyName, conditions: [], rules: [] }));
      if (m.type === ValidationTypes.CONDITIONAL_VALIDATION) {
        property.conditions.push(m.constraints[0]);
      } else if (m.type === ValidationTypes.CUSTOM_VALIDATION || m.type === ValidationTypes.IS_DEFINED) {
        const constraints = storage.getTargetValidatorConstraints(m.constraintCls);
        if (!constraints.length || constraints.some((c) => c.async)) return null;
        property.rules.push({ validators: constraints.map((c) => c.instance), constraints: m.constraints, each: m.each });
      } else if (m.type !== ValidationTypes.WHITELIST) {
        return null;
      }
    }
    return new ValidDtoReader(metatype, [...byProperty.values()], new Set(jsonObjects));
  }

  /**
   * `input` as an instance of the class, as the validation pipe would answer it, when every rule passes;
   * otherwise null. The caller has refused unknown fields already. Free-form JSON objects are handed on as
   * they are; everything else is a primitive or an array of primitives (copied, as class-transformer does).
   */
  read(input: Record<string, unknown>): T | null {
    const dto = new this.metatype() as Record<string, unknown>;
    for (const key of Object.keys(input)) {
      const value = input[key];
      if (this.jsonObjects.has(key) && typeof value === 'object' && value !== null && !Array.isArray(value)) {
        // Validated through a stand-in of the same JSON type, as the pipe does; put back below.
        dto[key] = {};
      } else if (Array.isArray(value)) {
        if (!value.every(isPrimitive)) return null;
        dto[key] = [...value];
      } else if (isPrimitive(value)) {
        dto[key] = value;
      } else {
        return null;
      }
    }
    const targetName = this.metatype.name;
    for (const { property, conditions, rules } of this.properties) {
      const value = dto[property];
      if (!conditions.every((holds) => holds(dto, value))) continue;
      for (const { validators, constraints, each } of rules) {
        const args: ValidationArguments = { targetName, property, object: dto, value, constraints };
        for (const validator of validators) {
          if (each && Array.isArray(value)) {
            if (!value.every((item) => validator.validate(item, args) === true)) return null;
          } else if (validator.validate(value, args) !== true) {
            return null;
          }
        }
      }
    }
    for (const key of this.jsonObjects) if (Object.hasOwn(dto, key)) dto[key] = input[key];
    return dto as T;
  }
}

const isPrimitive = (value: unknown): boolean =>
  value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/** True when class-transformer's plainToInstance would only copy the class's properties. */
function copiedAsIs(metatype: Function, metadatas: readonly ValidationMetadata[]): boolean {
  const storage = transformerMetadata;
  if (storage.getStrategy(metatype) !== 'none') return false;
  if (storage.getExposedMetadatas(metatype).length || storage.getExcludedMetadatas(metatype).length) return false;
  return metadatas.every(
    ({ propertyName }) =>
      !storage.findTypeMetadata(metatype, propertyName) &&
      !storage.findTransformMetadatas(metatype, propertyName, TransformationType.PLAIN_TO_CLASS).length,
  );
}
