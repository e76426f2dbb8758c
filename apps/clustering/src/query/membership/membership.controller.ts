import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  AssignMembershipRequestDto,
  ClearMembershipRequestDto,
  MembershipHistoryRequestDto,
  Subjects,
  type MembershipChangeResultDto,
  type MembershipEventDto,
  type Page,
} from '@clarion/contracts';
import { MembershipService } from './membership.service';

/** Manual SGT overrides and membership history over NATS. */
@Controller()
export class MembershipController {
  constructor(private readonly membership: MembershipService) {}

  @MessagePattern(Subjects.clustering.membershipAssign)
  assign(@Payload() request: AssignMembershipRequestDto): Promise<MembershipChangeResultDto> {
    return this.membership.assign(request);
  }

  @MessagePattern(Subjects.clustering.membershipClear)
  clear(@Payload() request: ClearMembershipRequestDto): Promise<MembershipChangeResultDto> {
    return this.membership.clear(request);
  }

  @MessagePattern(Subjects.clustering.membershipHistory)
  history(@Payload() request: MembershipHistoryRequestDto): Promise<Page<MembershipEventDto>> {
    return this.membership.history(request);
  }
}
