/** Every job kind of the service: one file per kind in this folder, listed here once. */
import { editionCardsJob } from './cards.js';
import { registerJobKind } from './registry.js';
import { sampleImportJob } from './sampleImport.js';
import { uncertaintyJob } from './uncertainty.js';
import { remindersJob } from './reminders.js';
import { invitationMailsJob } from './invitationMails.js';

registerJobKind(editionCardsJob);
registerJobKind(uncertaintyJob);
registerJobKind(sampleImportJob);
registerJobKind(remindersJob);
registerJobKind(invitationMailsJob);
