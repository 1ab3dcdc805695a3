/** Shared fixtures of the questionnaire tests: small definitions built around a list of items. */
import { validateQuestionnaire, type InstitutionContext, type QuestionnaireDefinition } from '../../questionnaires/engine.js';

export const label = (text: string) => ({ es: text, en: text });

export const MUNICIPIO: InstitutionContext = { type: 'Municipio', level: 'Municipal' };
export const PARTIDO: InstitutionContext = { type: 'Partido', level: 'Estatal' };

/** A definition (not yet validated) with one section holding `items`. */
export function rawDefinition(items: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'test-questionnaire',
    version: '1',
    title: label('Prueba'),
    methodology: 'mga-2017',
    audience: 'institution',
    sections: [{ id: 'main', title: label('Sección'), items }],
    ...extra,
  };
}

export function definition(items: unknown[], extra: Record<string, unknown> = {}): QuestionnaireDefinition {
  return validateQuestionnaire(rawDefinition(items, extra));
}

/** A scored yes/no item. */
export function yesno(id: string, feeds = 'TG.AI', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, kind: 'yesno', label: label(id), feeds, scoring: { rule: 'yes1no0' }, notApplicable: 'zero', ...extra };
}
