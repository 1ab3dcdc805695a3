/**
 * The report view models, split by report under reports/models/ (common.ts, national.ts, entity.ts,
 * institution.ts). This module re-exports them so existing imports keep working; new code imports
 * the model it needs from reports/models/.
 */
export * from './models/common.js';
export * from './models/national.js';
export * from './models/entity.js';
export * from './models/institution.js';
