import { Body, Controller, Headers, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { RegisterUserCommand, RegisterUserDto, User } from './register-user';

@Controller('users')
export class UsersController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post()
  register(@Headers('x-tenant-id') tenantId: string | undefined, @Body() dto: RegisterUserDto): Promise<User> {
    return this.commandBus.execute(new RegisterUserCommand(tenantId || null, dto));
  }
}
