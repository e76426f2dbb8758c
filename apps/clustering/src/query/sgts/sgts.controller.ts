import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CreateSgtRequestDto, ListSgtsRequestDto, SgtRefRequestDto, Subjects, UpdateSgtRequestDto, type Page, type SgtDto } from '@clarion/contracts';
import { SgtRegistryService } from './sgt-registry.service';

/** The SGT registry over NATS. */
@Controller()
export class SgtsController {
  constructor(private readonly sgts: SgtRegistryService) {}

  @MessagePattern(Subjects.clustering.sgtsList)
  list(@Payload() request: ListSgtsRequestDto): Promise<Page<SgtDto>> {
    return this.sgts.list(request);
  }

  @MessagePattern(Subjects.clustering.sgtsGet)
  get(@Payload() request: SgtRefRequestDto): Promise<SgtDto> {
    return this.sgts.get(request);
  }

  @MessagePattern(Subjects.clustering.sgtsCreate)
  create(@Payload() request: CreateSgtRequestDto): Promise<SgtDto> {
    return this.sgts.create(request);
  }

  @MessagePattern(Subjects.clustering.sgtsUpdate)
  update(@Payload() request: UpdateSgtRequestDto): Promise<SgtDto> {
    return this.sgts.update(request);
  }

  /** Answers the SGT as it was before deletion. */
  @MessagePattern(Subjects.clustering.sgtsDelete)
  delete(@Payload() request: SgtRefRequestDto): Promise<SgtDto> {
    return this.sgts.delete(request);
  }
}
