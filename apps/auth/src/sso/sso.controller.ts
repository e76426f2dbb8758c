import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  ActorRequestDto,
  ConfigureSsoRequestDto,
  SsoCallbackRequestDto,
  StartSsoRequestDto,
  Subjects,
  type SsoConfigDto,
  type StartSsoResponseDto,
  type TokenPairResponseDto,
} from '@clarion/contracts';
import { SsoConfigService } from './sso-config.service';
import { SsoLoginService } from './sso-login.service';

@Controller()
export class SsoController {
  constructor(
    private readonly configs: SsoConfigService,
    private readonly logins: SsoLoginService,
  ) {}

  @MessagePattern(Subjects.auth.ssoConfigure)
  configure(@Payload() request: ConfigureSsoRequestDto): Promise<SsoConfigDto> {
    return this.configs.configure(request);
  }

  @MessagePattern(Subjects.auth.ssoConfigGet)
  config(@Payload() request: ActorRequestDto): Promise<SsoConfigDto> {
    return this.configs.get(request.actor);
  }

  @MessagePattern(Subjects.auth.ssoStart)
  start(@Payload() request: StartSsoRequestDto): Promise<StartSsoResponseDto> {
    return this.logins.start(request);
  }

  @MessagePattern(Subjects.auth.ssoCallback)
  callback(@Payload() request: SsoCallbackRequestDto): Promise<TokenPairResponseDto> {
    return this.logins.callback(request);
  }
}
