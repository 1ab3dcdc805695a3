/** The questionnaires an edition can use: the built-in instruments, with their hashes. */
import { HttpProblem } from '../http/problem.js';
import {
  builtinInstruments as builtinSummaries,
  isBuiltinInstrumentId,
  loadInstrument,
  questionnaireHash,
  BUILTIN_INSTRUMENT_IDS,
  type Audience,
  type QuestionnaireDefinition,
} from '../../questionnaires/engine.js';

export interface Instrument {
  id: string;
  methodologyId: string;
  hash: string;
  audience: Audience;
  title: string;
  definition: QuestionnaireDefinition;
}

const AUDIENCE_LABELS: Record<Audience, string> = {
  institution: 'Sujeto obligado (perspectiva gubernamental)',
  evaluator: 'Equipo evaluador (perspectiva ciudadana)',
};

export function audienceLabel(audience: Audience): string {
  return AUDIENCE_LABELS[audience];
}

const instruments = new Map<string, Instrument>();

/** A built-in instrument by id (its hash computed once); an unknown id is the caller's mistake (400). */
export function instrumentById(id: string): Instrument {
  let instrument = instruments.get(id);
  if (!instrument) {
    instrument = loadBuiltin(id);
    instruments.set(id, instrument);
  }
  return instrument;
}

function loadBuiltin(id: string): Instrument {
  if (!isBuiltinInstrumentId(id)) {
    throw new HttpProblem(400, 'Bad Request', `unknown instrument "${id}"; available: ${BUILTIN_INSTRUMENT_IDS.join(', ')}`, [
      { field: 'instruments', value: id, reason: 'unknown instrument' },
    ]);
  }
  const definition = loadInstrument(id);
  return { id, methodologyId: definition.methodology, hash: questionnaireHash(definition), audience: definition.audience, title: definition.title.es, definition };
}

export function builtinInstruments() {
  return builtinSummaries().map((summary) => ({ ...summary, titleEs: summary.title.es, audienceLabel: audienceLabel(summary.audience) }));
}

/**
 * Question texts by the ids answers and scores use: top-level items, and group children as
 * "group[*].child" (scored per child across the rows), labelled "Group: child".
 */
export function itemLabels(instrument: Instrument): Record<string, { label: string; section: string; child?: true }> {
  const labels: Record<string, { label: string; section: string; child?: true }> = {};
  for (const section of instrument.definition.sections) {
    for (const item of section.items) {
      labels[item.id] = { label: item.label.es, section: section.id };
      if (item.kind === 'group') for (const child of item.items) labels[`${item.id}[*].${child.id}`] = { label: `${item.label.es}: ${child.label.es}`, section: section.id, child: true };
    }
  }
  return labels;
}
