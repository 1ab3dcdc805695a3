import { compileMethodology, type CompiledMethodology } from '../../scoring/engine.js';
import { BUILTIN_METHODOLOGY_IDS, isBuiltinMethodologyId, loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import { HttpProblem } from '../http/problem.js';

const compiled = new Map<string, CompiledMethodology>();

/** The compiled methodology an edition refers to (the built-in definitions of questionnaires/methodologies). */
export function methodologyById(id: string): CompiledMethodology {
  if (!isBuiltinMethodologyId(id)) {
    throw new HttpProblem(400, 'Bad Request', `unknown methodology "${id}"; available: ${BUILTIN_METHODOLOGY_IDS.join(', ')}`);
  }
  let result = compiled.get(id);
  if (!result) {
    result = compileMethodology(loadBuiltinMethodology(id));
    compiled.set(id, result);
  }
  return result;
}
