import { randomUUID } from 'node:crypto';
import { Command, CommandHandler, EventBus, ICommandHandler, IEvent } from '@nestjs/cqrs';
import { IsEmail, IsNotEmpty, IsString } from 'class-validator';

export class RegisterUserDto {
  @IsEmail() email: string;
  @IsString() @IsNotEmpty() name: string;
}

export interface User {
  id: string;
  email: string;
  name: string;
}

export class RegisterUserCommand extends Command<User> {
  constructor(
    readonly tenantId: string | null,
    readonly user: RegisterUserDto,
  ) {
    super();
  }
}

export class UserRegisteredEvent implements IEvent {
  constructor(
    readonly tenantId: string | null,
    readonly user: User,
  ) {}
}

@CommandHandler(RegisterUserCommand)
export class RegisterUserHandler implements ICommandHandler<RegisterUserCommand> {
  constructor(private readonly eventBus: EventBus) {}

  async execute({ tenantId, user: input }: RegisterUserCommand): Promise<User> {
    const user: User = { id: randomUUID(), email: input.email, name: input.name };
    this.eventBus.publish(new UserRegisteredEvent(tenantId, user));
    return user;
  }
}
