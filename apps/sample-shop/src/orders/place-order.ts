import { randomUUID } from 'node:crypto';
import { Command, CommandHandler, EventBus, ICommandHandler, IEvent } from '@nestjs/cqrs';
import { IsEmail, IsPositive } from 'class-validator';

export class PlaceOrderDto {
  @IsEmail() customerEmail: string;
  @IsPositive() total: number;
}

export interface Order {
  id: string;
  customerEmail: string;
  total: number;
  placedAt: string;
}

export class PlaceOrderCommand extends Command<Order> {
  constructor(
    readonly tenantId: string | null,
    readonly order: PlaceOrderDto,
  ) {
    super();
  }
}

/** The domain event: an order was placed. Nothing here knows about webhooks. */
export class OrderPlacedEvent implements IEvent {
  constructor(
    readonly tenantId: string | null,
    readonly order: Order,
  ) {}
}

@CommandHandler(PlaceOrderCommand)
export class PlaceOrderHandler implements ICommandHandler<PlaceOrderCommand> {
  constructor(private readonly eventBus: EventBus) {}

  async execute({ tenantId, order: input }: PlaceOrderCommand): Promise<Order> {
    // A real shop stores the order here (in the same transaction as anything else it changes).
    const order: Order = { id: randomUUID(), ...input, placedAt: new Date().toISOString() };
    this.eventBus.publish(new OrderPlacedEvent(tenantId, order));
    return order;
  }
}
