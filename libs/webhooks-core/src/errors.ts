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
}

export class WebhookNotFoundError extends WebhookDomainError {
  constructor(what: string, id: string) {
    super(`${what} '${id}' was not found`, 'NotFound');
  }
}

/** Webhook definitions that cannot be used (a bad definitions file, a name defined twice): stops start-up. */
export class WebhookDefinitionError extends Error {
  override name = 'WebhookDefinitionError';
}
