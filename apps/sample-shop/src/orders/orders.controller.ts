import { Body, Controller, Headers, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Order, PlaceOrderCommand, PlaceOrderDto } from './place-order';

@Controller('orders')
export class OrdersController {
  constructor(private readonly commandBus: CommandBus) {}

  /** The tenant comes from the shop's own authentication; a header stands in for it here. */
  @Post()
  place(@Headers('x-tenant-id') tenantId: string | undefined, @Body() dto: PlaceOrderDto): Promise<Order> {
    return this.commandBus.execute(new PlaceOrderCommand(tenantId || null, dto));
  }
}
