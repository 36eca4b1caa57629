import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export const MAX_RESULT_COUNT = 1000;

/** ABP's paging: skipCount and maxResultCount (capped). */
export class PagedQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  skipCount = 0;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_RESULT_COUNT)
  maxResultCount = 10;
}
