/**
 * Domain errors. They carry what the HTTP layer needs to answer clearly (which field, why), without the
 * domain knowing about HTTP.
 */
export class WebhookDomainError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Input that breaks a rule; `field` names the input field (for example `webhooks[1]`). */
export class WebhookValidationError extends WebhookDomainError {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`, 'ValidationFailed');
  }

  /** Every broken rule, as the API lists them. */
  get details(): { field: string; message: string }[] {
    return [{ field: this.field, message: this.reason }];
  }
}

export class WebhookNotFoundError extends WebhookDomainError {
  constructor(what: string, id: string) {
    super(`${what} '${id}' was not found`, 'NotFound');
  }
}

/** The request conflicts with the current state (a stale concurrency stamp, a duplicate, a resource in use). */
export class WebhookConflictError extends WebhookDomainError {
  constructor(
    message: string,
    /** What the caller can act on, e.g. the ids of the subscriptions in the way. */
    readonly details: { field: string; message: string }[] = [],
  ) {
    super(message, 'Conflict');
  }
}

/** The request is too large in a way a limit names (413). */
export class WebhookPayloadTooLargeError extends WebhookDomainError {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`, 'PayloadTooLarge');
  }
}

/** Webhook definitions that cannot be used (a bad definitions file, a name defined twice): stops start-up. */
export class WebhookDefinitionError extends Error {
  override name = 'WebhookDefinitionError';
}
