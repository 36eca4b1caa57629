import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsUUID } from 'class-validator';

/** Most ids one bulk request (delete-many, resend-many) takes. */
export const MAX_IDS_PER_REQUEST = 1000;

/** `{ ids }` of a bulk request. */
export class IdListDto {
  @ApiProperty({ type: [String], format: 'uuid', minItems: 1, maxItems: MAX_IDS_PER_REQUEST })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(MAX_IDS_PER_REQUEST)
  @IsUUID('all', { each: true, message: 'each value in ids must be a UUID' })
  ids: string[];
}
