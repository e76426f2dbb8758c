import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { HotReadInterceptor } from './hot-read.interceptor';

export const HOT_READ = 'clarion:hotRead';

/**
 * A GET whose answer depends only on the tenant, the route and its parameters: cached per tenant in Redis
 * (HotReadInterceptor), and its hits answered by the fast lane when the caller's token is already verified.
 */
export const HotRead = (): MethodDecorator => applyDecorators(SetMetadata(HOT_READ, true), UseInterceptors(HotReadInterceptor));
