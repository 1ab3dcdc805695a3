/**
 * The questionnaire one section per page: which answers a section's page covers, the index of
 * sections with their progress, the way from one section to the next, and links from the
 * evaluators' comments and from errors to the page and place of their question.
 */
import { appliesToInstitution, type InstitutionContext, type QuestionnaireDefinition } from '../../questionnaires/engine.js';
import type { Progress } from '../../questionnaires/progress.js';
import type { SectionView } from './questionnaireForm.js';

/** The sections shown to an institution (those with an item that applies), numbered from 1 as their pages are. */
function shownSections(def: QuestionnaireDefinition, institution: InstitutionContext) {
  return def.sections.filter((section) => section.items.some((item) => appliesToInstitution(item.appliesTo, institution)));
}

/**
 * The answer keys a section's page covers: every item of the section (its evidence link goes with
 * it), or undefined when the institution has no such section.
 */
export function sectionScope(def: QuestionnaireDefinition, institution: InstitutionContext, number: number): string[] | undefined {
  const section = shownSections(def, institution)[number - 1];
  return section?.items.map((item) => item.id);
}

/** Top-level item id → the number of the section page it is on. */
export function sectionOfItems(sections: readonly SectionView[]): Map<string, number> {
  return new Map(sections.flatMap((section) => section.items.map((item) => [item.itemId, section.number] as const)));
}

/** The anchor of a question on its page (the block with its label, answer and comments). */
export const questionAnchor = (itemId: string) => `pregunta-${itemId}`;

/** A link to a question from a page: on the same page its anchor, otherwise its section's page. */
function linkTo(itemId: string, sectionOf: ReadonlyMap<string, number>, from: number | 'all' | 'index'): string {
  const anchor = `#${questionAnchor(itemId)}`;
  const section = sectionOf.get(itemId);
  if (from === 'all' || section === undefined || section === from) return anchor;
  return `/responder/seccion/${section}${anchor}`;
}

function labelOf(def: QuestionnaireDefinition, itemId: string): string {
  for (const section of def.sections) for (const item of section.items) if (item.id === itemId) return item.label.es;
  return 'Pregunta';
}

/** The evaluators' comments as a list to start from: each question, its comment and a link to it. */
export function commentedItems(def: QuestionnaireDefinition, comments: readonly { item: string; comment: string }[], sectionOf: ReadonlyMap<string, number>, from: number | 'all' | 'index') {
  return comments.map((c) => ({ label: labelOf(def, c.item), comment: c.comment, href: linkTo(c.item, sectionOf, from), section: sectionOf.get(c.item) }));
}

/** Errors of the summary with links: questions of another section lead to that section's page. */
export function errorLinks<E extends { field: string }>(errors: readonly E[], sectionOf: ReadonlyMap<string, number>, from: number | undefined): (E & { href?: string })[] {
  if (from === undefined) return [...errors];
  return errors.map((error) => {
    const top = /^([A-Za-z0-9_]+)/.exec(error.field)?.[1];
    const section = top ? sectionOf.get(top) : undefined;
    if (section === undefined || section === from) return error;
    return { ...error, href: `/responder/seccion/${section}#${questionAnchor(top!)}` };
  });
}

/** The index of sections: each with its page, answered of shown questions, and what is still required. */
export function sectionIndex(sections: readonly SectionView[], progress: Progress) {
  const byId = new Map(progress.sections.map((s) => [s.id, s]));
  return sections.map((section) => {
    const counts = byId.get(section.id) ?? { answered: 0, total: 0, required: 0, requiredAnswered: 0 };
    const missing = counts.required - counts.requiredAnswered;
    const comments = section.items.filter((item) => item.comment).length;
    return {
      number: section.number,
      title: section.title,
      href: `/responder/seccion/${section.number}`,
      answered: counts.answered,
      total: counts.total,
      percent: counts.total ? Math.floor((100 * counts.answered) / counts.total) : 100,
      missing,
      done: missing === 0,
      comments,
      state:
        counts.answered === counts.total ? 'Completa' : missing === 0 ? (counts.required === 0 ? 'Opcional' : 'Obligatorias respondidas') : missing === 1 ? 'Falta 1 obligatoria' : `Faltan ${missing} obligatorias`,
    };
  });
}

/** Where a section's page is among the others: its number, the previous and next pages, its progress. */
export function sectionNav(sections: readonly SectionView[], number: number, progress: Progress) {
  const index = sectionIndex(sections, progress);
  const here = index.find((s) => s.number === number)!;
  const previous = index.find((s) => s.number === number - 1);
  const next = index.find((s) => s.number === number + 1);
  return { ...here, count: index.length, previous, next, isLast: !next };
}
