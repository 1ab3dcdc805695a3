/** Every job kind of the service: one file per kind in this folder, listed here once. */
import { editionCardsJob } from './cards.js';
import { registerJobKind } from './registry.js';
import { sampleImportJob } from './sampleImport.js';
import { uncertaintyJob } from './uncertainty.js';

registerJobKind(editionCardsJob);
registerJobKind(uncertaintyJob);
registerJobKind(sampleImportJob);
