import { Type } from 'class-transformer';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export const MAX_RESULT_COUNT = 1000;
/** Far beyond any list, and within PostgreSQL's OFFSET. */
export const MAX_SKIP_COUNT = 1_000_000_000;

/** ABP's paging: skipCount and maxResultCount (capped). */
export class PagedQueryDto {
  @ApiPropertyOptional({ minimum: 0, maximum: MAX_SKIP_COUNT, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_SKIP_COUNT)
  skipCount = 0;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_RESULT_COUNT, default: 10 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_RESULT_COUNT)
  maxResultCount = 10;
}
