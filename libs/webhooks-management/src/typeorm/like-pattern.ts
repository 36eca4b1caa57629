/** `text` as a LIKE/ILIKE pattern that matches it anywhere, its `%`, `_` and `\` taken literally (ESCAPE '\'). */
export const containsPattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
