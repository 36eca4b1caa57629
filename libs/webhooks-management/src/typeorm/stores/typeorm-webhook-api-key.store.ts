import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { ApiKeyQuery, WebhookApiKey, WebhookApiKeyStore } from '../../domain/ports/webhook-api-key.store';
import { WebhookApiKeyEntity } from '../entities';

@Injectable()
export class TypeOrmWebhookApiKeyStore extends WebhookApiKeyStore {
  constructor(@InjectRepository(WebhookApiKeyEntity) private readonly repository: Repository<WebhookApiKeyEntity>) {
    super();
  }

  async insert(key: WebhookApiKey): Promise<void> {
    await this.repository.insert(key);
  }

  findByHash(keyHash: string): Promise<WebhookApiKey | null> {
    return this.repository.findOneBy({ keyHash });
  }

  findById(tenantId: string | null, id: string): Promise<WebhookApiKey | null> {
    return this.repository.findOneBy({ id, tenantId: tenantId ?? IsNull() });
  }

  async list(query: ApiKeyQuery): Promise<{ totalCount: number; items: WebhookApiKey[] }> {
    const [items, totalCount] = await this.repository.findAndCount({
      where: { tenantId: query.tenantId ?? IsNull(), ...(query.includeRevoked ? {} : { revokedAt: IsNull() }) },
      order: { creationTime: 'DESC', id: 'DESC' },
      skip: query.skipCount,
      take: query.maxResultCount,
    });
    return { totalCount, items };
  }

  async revoke(tenantId: string | null, id: string, at: Date): Promise<boolean> {
    const result = await this.repository
      .createQueryBuilder()
      .update()
      .set({ revokedAt: () => 'COALESCE(revoked_at, :at)' })
      .where('id = :id AND tenant_id IS NOT DISTINCT FROM :tenantId', { id, tenantId, at })
      .execute();
    return (result.affected ?? 0) > 0;
  }
}
