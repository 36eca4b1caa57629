/**
 * A row's creation time as PostgreSQL prints it in JSON, to the microsecond (a JavaScript Date keeps
 * milliseconds only, which would repeat or skip rows at a page boundary), selected as "positionTime".
 */
export const POSITION_TIME = (alias: string) => `to_json(${alias}.creation_time) #>> '{}' AS "positionTime"`;
