/**
 * Webhook names are dotted (`order.created`). A subscription names exact webhooks, `*` (all the tenant may
 * see) or a prefix wildcard (`order.*`). Matching is done in the database against the few patterns that can
 * match a given name, so it needs no scan of subscriptions.
 */
export const WEBHOOK_NAME_REGEX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const WILDCARD_REGEX = /^([A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.)?\*$/;

export const isValidWebhookName = (name: string): boolean => name.length <= 128 && WEBHOOK_NAME_REGEX.test(name);

export const isWildcardPattern = (pattern: string): boolean => WILDCARD_REGEX.test(pattern);

/** The patterns a subscription may hold that select `name`: the name itself, each prefix wildcard, and `*`. */
export function patternsMatching(name: string): string[] {
  const parts = name.split('.');
  const patterns = [name];
  for (let i = parts.length - 1; i >= 1; i--) patterns.push(`${parts.slice(0, i).join('.')}.*`);
  patterns.push('*');
  return patterns;
}

export function patternMatches(pattern: string, name: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return name.startsWith(pattern.slice(0, -1));
  return pattern === name;
}
