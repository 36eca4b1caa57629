import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { ApiKeyQuery, WebhookApiKey, WebhookApiKeyStore } from '../../domain/ports/webhook-api-key.store';
import { WebhookApiKeyEntity } from '../entities';
import { tenantMatches, tenantWhere } from '../tenant-condition';

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
    return this.repository.findOneBy({ id, tenantId: tenantWhere(tenantId) });
  }

  async list(query: ApiKeyQuery): Promise<{ totalCount: number; items: WebhookApiKey[] }> {
    const [items, totalCount] = await this.repository.findAndCount({
      where: { tenantId: tenantWhere(query.tenantId), ...(query.includeRevoked ? {} : { revokedAt: IsNull() }) },
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
      .where(`id = :id AND ${tenantMatches('tenant_id', ':tenantId')}`, { id, tenantId, at })
      .execute();
    return (result.affected ?? 0) > 0;
  }
}
