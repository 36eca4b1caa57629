import { IsBoolean, IsNotEmpty, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';

export class PublishWebhookDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  webhookName: string;

  /** The event's data: a JSON object. */
  @IsObject({ message: 'data must be a JSON object' })
  data: Record<string, unknown>;

  /** Send `data` as the whole body instead of the envelope. */
  @IsOptional()
  @IsBoolean()
  sendExactSameData?: boolean;

  /** Added to each subscription's headers (or replacing them with useOnlyGivenHeaders). */
  @IsOptional()
  @IsObject()
  headers?: Record<string, string>;

  @IsOptional()
  @IsBoolean()
  useOnlyGivenHeaders?: boolean;
}
