import type { DomainModule } from './platform/modules.js';
import { webModule } from './web/web.module.js';

/** Every domain, in the order their setup runs (a domain comes after those whose services it uses). */
export const domainModules: DomainModule[] = [webModule];
