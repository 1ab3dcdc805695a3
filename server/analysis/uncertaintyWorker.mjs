// Worker entry: registers tsx in this thread, then loads the TypeScript body.
import { register } from 'tsx/esm/api';

register();
await import('./uncertaintyWorker.ts');
