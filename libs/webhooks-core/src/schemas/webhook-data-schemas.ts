import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { WebhookValidationError } from '../errors';

/** A JSON Schema document (draft 2020-12). */
export type JsonSchema = Record<string, unknown>;

/** One broken rule: the JSON path of the offending value (`data.items[0].sku`) and the rule it breaks. */
export interface SchemaViolation {
  field: string;
  message: string;
}

/** Most violations one answer lists; the rest are summed up in one more line. */
const MAX_LISTED_VIOLATIONS = 20;

/** Publish data that breaks its definition's schema; every broken rule is a detail naming its path. */
export class WebhookSchemaViolationError extends WebhookValidationError {
  constructor(readonly violations: SchemaViolation[]) {
    super(violations[0].field, violations[0].message);
    this.message = violations.map((v) => `${v.field}: ${v.message}`).join('; ');
  }

  override get details(): SchemaViolation[] {
    return this.violations;
  }
}

/**
 * Compiles the JSON Schemas of definitions and checks event data against them. A validator is compiled the
 * first time its schema is used and kept for as long as the definition holds that schema object: a new
 * schema version (a reload of stored definitions, a restart) gets a validator of its own, and nothing
 * compiles per publish.
 */
export class WebhookDataSchemas {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true });
  private readonly validators = new WeakMap<JsonSchema, ValidateFunction>();

  constructor() {
    addFormats(this.ajv);
  }

  /** The reason a schema cannot be used (not an object, not valid 2020-12, an unresolvable `$ref`), or null. */
  schemaProblem(schema: unknown): string | null {
    if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return 'must be a JSON Schema object';
    try {
      this.validator(schema as JsonSchema);
      return null;
    } catch (e) {
      return `is not a valid JSON Schema (2020-12): ${(e as Error).message}`;
    }
  }

  /**
   * What is wrong with a definition's schema and example (the schema does not compile, the example breaks it),
   * or null when they can be used.
   */
  contractProblem(schema: unknown, example: unknown): SchemaViolation | null {
    const problem = this.schemaProblem(schema);
    if (problem) return { field: 'schema', message: problem };
    if (example === undefined) return null;
    if (example === null || typeof example !== 'object' || Array.isArray(example)) {
      return { field: 'example', message: 'must be a JSON object' };
    }
    const [first] = this.violations(schema as JsonSchema, example, 'example');
    return first ? { field: first.field, message: `breaks the schema: ${first.message}` } : null;
  }

  /** The rules `data` breaks (none: it passes). `root` names the value in the paths (`data`, `example`). */
  violations(schema: JsonSchema, data: unknown, root = 'data'): SchemaViolation[] {
    let validate: ValidateFunction;
    try {
      validate = this.validator(schema);
    } catch (e) {
      // Schemas are checked before they are stored; this only guards against one that no longer compiles.
      return [{ field: root, message: `cannot be checked: the webhook's schema does not compile (${(e as Error).message})` }];
    }
    if (validate(data)) return [];
    const errors = validate.errors ?? [];
    const listed = errors.slice(0, MAX_LISTED_VIOLATIONS).map((e) => toViolation(e, root));
    if (errors.length > listed.length) {
      listed.push({ field: root, message: `and ${errors.length - listed.length} more violations` });
    }
    return listed;
  }

  /** Throws WebhookSchemaViolationError when `data` breaks `schema`. */
  assertValid(schema: JsonSchema, data: unknown, root = 'data'): void {
    const violations = this.violations(schema, data, root);
    if (violations.length) throw new WebhookSchemaViolationError(violations);
  }

  private validator(schema: JsonSchema): ValidateFunction {
    let validate = this.validators.get(schema);
    if (!validate) {
      // Ajv keeps schemas with an `$id` by that id; a new version of the same schema replaces the old one.
      if (typeof schema.$id === 'string') this.ajv.removeSchema(schema.$id);
      validate = this.ajv.compile(schema);
      this.validators.set(schema, validate);
    }
    return validate;
  }
}

/** Ajv's error as a violation: a dotted path (the missing or extra property included) and the rule. */
function toViolation(e: ErrorObject, root: string): SchemaViolation {
  const segments = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let message = `${e.message ?? 'is invalid'} (${e.keyword})`;
  if (e.keyword === 'required') {
    segments.push(String(e.params.missingProperty));
    message = 'is required (required)';
  } else if (e.keyword === 'additionalProperties' || e.keyword === 'unevaluatedProperties') {
    segments.push(String(e.params.additionalProperty ?? e.params.unevaluatedProperty));
    message = `is not allowed (${e.keyword})`;
  }
  return { field: jsonPath(root, segments), message };
}

/** `data`, `["items", "0", "sku"]` → `data.items[0].sku`: a number is written as an index, a key that is not an identifier is quoted. */
export function jsonPath(root: string, segments: readonly string[]): string {
  let path = root;
  for (const s of segments) {
    if (/^(0|[1-9]\d*)$/.test(s)) path += `[${s}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(s)) path += `.${s}`;
    else path += `[${JSON.stringify(s)}]`;
  }
  return path;
}
