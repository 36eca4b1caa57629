import { HttpException, HttpStatus, ValidationError } from '@nestjs/common';

export interface ApiErrorDetail {
  field: string;
  message: string;
}

/** 400 for request input that fails validation; the exception filter renders its details. */
export class RequestValidationError extends HttpException {
  constructor(readonly details: ApiErrorDetail[]) {
    super(details.map((d) => `${d.field}: ${d.message}`).join('; '), HttpStatus.BAD_REQUEST);
  }

  /**
   * Flattens class-validator's tree into one detail per broken rule, with a path such as `headers.x` or
   * `webhooks.0` (under `prefix` when given).
   */
  static fromValidationErrors(errors: ValidationError[], prefix = ''): RequestValidationError {
    const details: ApiErrorDetail[] = [];
    const walk = (list: ValidationError[], prefix: string) => {
      for (const error of list) {
        const field = prefix ? `${prefix}.${error.property}` : error.property;
        for (const message of Object.values(error.constraints ?? {})) details.push({ field, message });
        if (error.children?.length) walk(error.children, field);
      }
    };
    walk(errors, prefix);
    return new RequestValidationError(details);
  }
}
