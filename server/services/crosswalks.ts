/**
 * Crosswalks between the institutions of two editions, stored per edition pair (base = the earlier
 * edition): the matcher (scoring/matching.ts) runs on the two editions' institutions and the people's
 * decisions stored here; the result is kept with the state it came from and computed again when
 * either edition's institutions or the decisions change. The panel comparisons of the reports and
 * pages, and each institution's previous edition, read the links from here.
 */
import mongoose, { Types } from 'mongoose';
import { decisionsCsv, parseDecisionsCsv, resolveDecisions, type DecisionCsvRow } from '../../scoring/crosswalkFile.js';
import { matchInstitutions, type MatchDecision, type MatchLink, type MatchRecord, type MatchResult } from '../../scoring/matching.js';
import { panelComparison, type PanelComparison, type PanelGrouping, type PanelSide } from '../../scoring/panel.js';
import { summaryColumns } from '../../scoring/recalc.js';
import { EditionModel } from '../models/edition.js';
import { InstitutionModel } from '../models/institution.js';
import { CrosswalkDecisionModel, CrosswalkModel } from '../models/crosswalk.js';
import { HttpProblem, type FieldError } from '../http/problem.js';
import { loadEditionResults, type LoadedEdition } from './loadedEditions.js';
import { isPublic } from './editionLifecycle.js';
import { record as audit, type Actor } from './audit.js';

const EDITION_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;
const OBJECT_ID = /^[0-9a-f]{24}$/i;

type EditionDoc = NonNullable<Awaited<ReturnType<typeof loadEdition>>>;

function problem(status: number, code: string, field: string, value: unknown, reason: string): HttpProblem {
  const title = ({ 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict' } as Record<number, string>)[status] ?? 'Error';
  const p = new HttpProblem(status, title, reason, [{ field, ...(value !== undefined && { value }), reason }]);
  return Object.assign(p, { code });
}

function loadEdition(editionId: string) {
  return EditionModel.findOne({ editionId }, { editionId: 1, year: 1, title: 1, status: 1, resultsVersion: 1 }).lean();
}

export interface EditionPair {
  base: EditionDoc;
  other: EditionDoc;
}

/** The two editions of a crosswalk; the base must be the earlier one (by year), and they must differ. */
export async function editionPair(baseId: string, otherId: string): Promise<EditionPair> {
  for (const [field, id] of [['base', baseId], ['other', otherId]] as const) {
    if (!EDITION_ID.test(id)) throw problem(404, 'edition-not-found', field, id, `edition "${id}" does not exist`);
  }
  if (baseId === otherId) throw problem(400, 'same-edition', 'other', otherId, 'a crosswalk links two different editions');
  const [base, other] = await Promise.all([loadEdition(baseId), loadEdition(otherId)]);
  if (!base) throw problem(404, 'edition-not-found', 'base', baseId, `edition "${baseId}" does not exist`);
  if (!other) throw problem(404, 'edition-not-found', 'other', otherId, `edition "${otherId}" does not exist`);
  if (base.year > other.year) throw problem(400, 'base-not-earlier', 'base', baseId, `the base edition must be the earlier one: ${baseId} is ${base.year}, ${otherId} is ${other.year}`);
  return { base, other };
}

export interface InstitutionInfo {
  id: string;
  name: string;
  entity: string;
  type: string;
  level: string;
}

export interface CrosswalkView extends EditionPair {
  result: MatchResult;
  /** Institution id → its attributes, for both editions. */
  institutions: Map<string, InstitutionInfo>;
  decisions: { base: string; other: string; accepted: boolean; similarity: number | null; decidedAt: Date; via: string }[];
  version: number;
}

async function institutionsOf(editionId: string): Promise<InstitutionInfo[]> {
  const docs = await InstitutionModel.find({ scope: editionId }, { name: 1, entity: 1, type: 1, level: 1 }).sort({ entityCode: 1, normalizedName: 1 }).lean();
  return docs.map((d) => ({ id: String(d._id), name: d.name, entity: d.entity, type: d.type, level: d.level }));
}

/** What the crosswalk depends on in an edition: its institutions (count, last change) and results version. */
async function editionState(edition: EditionDoc): Promise<string> {
  const [count, latest] = await Promise.all([InstitutionModel.countDocuments({ scope: edition.editionId }), InstitutionModel.findOne({ scope: edition.editionId }, { updatedAt: 1 }).sort({ updatedAt: -1 }).lean()]);
  return `${count}:${latest?.updatedAt?.getTime() ?? 0}:${edition.resultsVersion}`;
}

const record = (i: InstitutionInfo): MatchRecord => ({ key: i.id, name: i.name, entity: i.entity, type: i.type, level: i.level });

/** The crosswalk as it stands: computed from the institutions and the decisions, and stored when it changed. */
export async function crosswalk(baseId: string, otherId: string): Promise<CrosswalkView> {
  const pair = await editionPair(baseId, otherId);
  const [stored, baseState, otherState] = await Promise.all([
    CrosswalkModel.findOne({ baseEdition: baseId, otherEdition: otherId }, { version: 1, 'computed.version': 1, 'computed.baseState': 1, 'computed.otherState': 1 }).lean(),
    editionState(pair.base),
    editionState(pair.other),
  ]);
  const version = stored?.version ?? 0;
  const cacheKey = `${baseId}|${otherId}`;
  const state = `${version}|${baseState}|${otherState}`;
  const cached = viewCache.get(cacheKey);
  if (cached && cached.state === state) return { ...cached.view, ...pair };

  const [baseInstitutions, otherInstitutions, decisionDocs] = await Promise.all([
    institutionsOf(baseId),
    institutionsOf(otherId),
    CrosswalkDecisionModel.find({ baseEdition: baseId, otherEdition: otherId }).sort({ decidedAt: 1 }).lean(),
  ]);
  const decisions = decisionDocs.map((d) => ({ base: String(d.base), other: String(d.other), accepted: d.accepted, similarity: d.similarity ?? null, decidedAt: d.decidedAt, via: d.via }));
  const result = matchInstitutions(baseInstitutions.map(record), otherInstitutions.map(record), { decisions });
  const c = (stored as { computed?: { version: number; baseState: string; otherState: string } } | null)?.computed;
  if (!c || c.version !== version || c.baseState !== baseState || c.otherState !== otherState) {
    await CrosswalkModel.updateOne(
      { baseEdition: baseId, otherEdition: otherId, version },
      {
        $set: {
          computed: {
            version,
            baseState,
            otherState,
            at: new Date(),
            links: result.links.map((l) => ({ base: new Types.ObjectId(l.base), other: new Types.ObjectId(l.other), method: l.method, similarity: l.similarity })),
            counts: result.counts,
          },
        },
        $setOnInsert: { baseEdition: baseId, otherEdition: otherId },
      },
      { upsert: true },
    ).catch((error: { code?: number }) => {
      // A decision landed meanwhile (the version moved): the next reader stores the newer result.
      if (error?.code !== 11000) throw error;
    });
  }
  const institutions = new Map([...baseInstitutions, ...otherInstitutions].map((i) => [i.id, i]));
  const view = { ...pair, result, institutions, decisions, version };
  viewCache.set(cacheKey, { state, view });
  return view;
}

/** Computed crosswalks by edition pair, with the state (decisions version, both editions' state) they came from. */
const viewCache = new Map<string, { state: string; view: CrosswalkView }>();

/** The stored links of a pair, computed again if stale (for panels and previous-edition lookups). */
export async function crosswalkLinks(baseId: string, otherId: string): Promise<MatchLink[]> {
  return (await crosswalk(baseId, otherId)).result.links;
}

export type Decision = 'accept' | 'reject' | 'undo';

export interface DecisionInput {
  base: string;
  other: string;
  decision: Decision;
}

/** Each id must be an institution of its side's edition. */
function checkIds(view: CrosswalkView, input: { base: string; other: string }, row?: number): FieldError[] {
  const errors: FieldError[] = [];
  if (!OBJECT_ID.test(input.base) || !baseSide(view, input.base)) errors.push({ field: 'base', value: input.base, reason: `not an institution of edition ${view.base.editionId}`, ...(row && { row }) });
  if (!OBJECT_ID.test(input.other) || !otherSide(view, input.other)) errors.push({ field: 'other', value: input.other, reason: `not an institution of edition ${view.other.editionId}`, ...(row && { row }) });
  return errors;
}

const sides = new WeakMap<CrosswalkView, { base: Set<string>; other: Set<string> }>();
function sideSets(view: CrosswalkView) {
  let s = sides.get(view);
  if (!s) {
    const base = new Set([...view.result.unmatchedBase, ...view.result.links.map((l) => l.base)]);
    const other = new Set([...view.result.unmatchedOther, ...view.result.links.map((l) => l.other)]);
    sides.set(view, (s = { base, other }));
  }
  return s;
}
const baseSide = (view: CrosswalkView, id: string) => sideSets(view).base.has(id);
const otherSide = (view: CrosswalkView, id: string) => sideSets(view).other.has(id);

/** Why accepting (base, other) cannot apply, or undefined. */
function acceptConflict(view: CrosswalkView, base: string, other: string): string | undefined {
  const linkedBase = view.result.links.find((l) => l.base === base);
  const linkedOther = view.result.links.find((l) => l.other === other);
  if (linkedBase && linkedBase.other === other) return undefined;
  if (linkedBase) return `the base institution is already linked (${linkedBase.method}) to another institution; undo that first`;
  if (linkedOther) return `the other institution is already linked (${linkedOther.method}) to another institution; undo that first`;
  return undefined;
}

export interface DecisionSummary {
  applied: number;
  counts: MatchResult['counts'];
}

/** Applies decisions all or nothing, in one transaction; the crosswalk's version moves once. */
async function applyDecisions(view: CrosswalkView, inputs: readonly (DecisionInput & { row?: number })[], actor: Actor, via: 'page' | 'file' | 'api'): Promise<DecisionSummary> {
  const baseId = view.base.editionId;
  const otherId = view.other.editionId;
  const by = actor.kind === 'user' ? actor.id : undefined;
  const errors: FieldError[] = inputs.flatMap((d) => checkIds(view, d, d.row));
  if (errors.length > 0) throw Object.assign(new HttpProblem(400, 'Bad Request', `nothing was decided: ${errors[0]!.reason}`, errors), { code: 'not-in-edition' });
  // Accepted pairs must not clash with the links there are, nor with each other.
  const planned: MatchDecision[] = [...view.decisions.map((d) => ({ base: d.base, other: d.other, accepted: d.accepted }))];
  for (const d of inputs) {
    const i = planned.findIndex((p) => p.base === d.base && p.other === d.other);
    if (i >= 0) planned.splice(i, 1);
    if (d.decision !== 'undo') planned.push({ base: d.base, other: d.other, accepted: d.decision === 'accept' });
  }
  const conflicts: FieldError[] = [];
  for (const d of inputs.filter((x) => x.decision === 'accept')) {
    const reason = acceptConflict(view, d.base, d.other);
    if (reason && !inputs.some((u) => u.decision === 'undo' && (u.base === d.base || u.other === d.other))) conflicts.push({ field: 'base', value: d.base, reason, ...(d.row && { row: d.row }) });
  }
  const check = matchInstitutions([...view.institutions.values()].filter((i) => baseSide(view, i.id)).map(record), [...view.institutions.values()].filter((i) => otherSide(view, i.id)).map(record), { decisions: planned });
  for (const p of check.problems.filter((x) => x.kind === 'decision')) {
    const row = inputs.find((d) => d.base === p.keys[0] && d.other === p.keys[1])?.row;
    if (!conflicts.some((c) => c.value === p.keys[0])) conflicts.push({ field: 'base', value: p.keys[0], reason: p.reason, ...(row && { row }) });
  }
  if (conflicts.length > 0) throw Object.assign(new HttpProblem(409, 'Conflict', `nothing was decided: ${conflicts[0]!.reason}`, conflicts), { code: 'already-linked' });

  const similarityOf = (b: string, o: string) => view.result.candidates.find((c) => c.base === b && c.other === o)?.similarity ?? null;
  try {
    await mongoose.connection.transaction(async (session) => {
      for (const d of inputs) {
        const filter = { baseEdition: baseId, otherEdition: otherId, base: new Types.ObjectId(d.base), other: new Types.ObjectId(d.other) };
        if (d.decision === 'undo') {
          await CrosswalkDecisionModel.deleteOne(filter, { session });
          continue;
        }
        await CrosswalkDecisionModel.updateOne(
          filter,
          { $set: { accepted: d.decision === 'accept', similarity: similarityOf(d.base, d.other), via, decidedAt: new Date(), ...(by && { decidedBy: new Types.ObjectId(by) }) } },
          { upsert: true, session },
        );
      }
      await CrosswalkModel.updateOne({ baseEdition: baseId, otherEdition: otherId }, { $inc: { version: 1 }, $setOnInsert: { baseEdition: baseId, otherEdition: otherId } }, { upsert: true, session });
      await audit({ action: 'crosswalk.decide', actor, edition: otherId, summary: DECIDED_VIA[via], targets: inputs.map((d) => decisionTarget(view, d)) }, session);
    });
  } catch (error) {
    // Another admin linked one of the institutions at the same moment (the partial unique indexes).
    if ((error as { code?: number }).code === 11000) throw Object.assign(new HttpProblem(409, 'Conflict', 'nothing was decided: one of the institutions was just linked to another by someone else; reload', [{ field: 'base', reason: 'linked meanwhile' }]), { code: 'already-linked' });
    throw error;
  }
  const after = await crosswalk(baseId, otherId);
  return { applied: inputs.length, counts: after.result.counts };
}

const DECIDED_VIA = { page: 'Desde la página de correspondencias', file: 'Desde un archivo de decisiones', api: 'Desde la API' } as const;

/** The audit entry of one decision: on the later edition's institution, naming the pair; old and new state of the pair. */
function decisionTarget(view: CrosswalkView, d: DecisionInput) {
  const state = (accepted: boolean | undefined) => (accepted === undefined ? null : accepted ? 'accepted' : 'rejected');
  const previous = view.decisions.find((x) => x.base === d.base && x.other === d.other);
  const base = view.institutions.get(d.base)!;
  const other = view.institutions.get(d.other)!;
  const subject = `${view.base.editionId} → ${view.other.editionId}: «${base.name}» (${base.entity}) con «${other.name}» (${other.entity})`;
  return {
    institution: d.other,
    subject: subject.length > 300 ? `${subject.slice(0, 299)}…` : subject,
    oldValue: state(previous?.accepted),
    newValue: d.decision === 'undo' ? null : d.decision === 'accept' ? 'accepted' : 'rejected',
  };
}

/** One decision from the admin page or the API. */
export async function decide(baseId: string, otherId: string, input: DecisionInput, actor: Actor, via: 'page' | 'api'): Promise<DecisionSummary> {
  const view = await crosswalk(baseId, otherId);
  return applyDecisions(view, [input], actor, via);
}

/** Accepts every mutual-best candidate at or above `threshold` (a bulk action of the admin page). */
export async function acceptAbove(baseId: string, otherId: string, threshold: number, actor: Actor): Promise<DecisionSummary> {
  const view = await crosswalk(baseId, otherId);
  const inputs = view.result.candidates.filter((c) => c.mutualBest && c.similarity >= threshold).map((c) => ({ base: c.base, other: c.other, decision: 'accept' as const }));
  if (inputs.length === 0) return { applied: 0, counts: view.result.counts };
  return applyDecisions(view, inputs, actor, 'page');
}

/** Decisions from a CSV file (the layout of the download): all or nothing, each problem naming its row. */
export async function decideFromCsv(baseId: string, otherId: string, bytes: Uint8Array, actor: Actor): Promise<DecisionSummary> {
  const view = await crosswalk(baseId, otherId);
  const parsed = parseDecisionsCsv(bytes);
  const fileErrors = (errors: { row: number | null; column: string | null; value: string | null; reason: string }[]): FieldError[] =>
    errors.map((e) => ({ field: e.column ?? 'archivo', ...(e.row !== null && { row: e.row }), ...(e.value !== null && { value: e.value }), reason: e.reason }));
  if (parsed.errors.length > 0) throw Object.assign(new HttpProblem(400, 'Bad Request', `the file was rejected, nothing was decided: ${parsed.errors[0]!.reason}`, fileErrors(parsed.errors)), { code: 'bad-decisions-file' });
  const base = [...view.institutions.values()].filter((i) => baseSide(view, i.id)).map(record);
  const other = [...view.institutions.values()].filter((i) => otherSide(view, i.id)).map(record);
  const resolved = resolveDecisions(parsed.rows, base, other);
  if (resolved.errors.length > 0) throw Object.assign(new HttpProblem(400, 'Bad Request', `the file was rejected, nothing was decided: ${resolved.errors[0]!.reason}`, fileErrors(resolved.errors)), { code: 'bad-decisions-file' });
  // Decisions that change nothing are dropped; the rest apply together.
  const rows = parsed.rows;
  const inputs = resolved.decisions
    .map((d, i) => ({ base: d.base, other: d.other, decision: (d.accepted ? 'accept' : 'reject') as Decision, row: rows[i]?.row }))
    .filter((d) => {
      const existing = view.decisions.find((x) => x.base === d.base && x.other === d.other);
      const exact = view.result.links.some((l) => l.method === 'exact' && l.base === d.base && l.other === d.other);
      return !(exact && d.decision === 'accept') && !(existing && existing.accepted === (d.decision === 'accept'));
    });
  if (inputs.length === 0) return { applied: 0, counts: view.result.counts };
  return applyDecisions(view, inputs, actor, 'file');
}

/** The pair's links, rejected pairs and open candidates as the decisions CSV (ids, names, entities). */
export function crosswalkCsv(view: CrosswalkView): string {
  const info = (id: string) => view.institutions.get(id)!;
  const row = (b: string, o: string, similarity: number | null, decision: DecisionCsvRow['decision']): DecisionCsvRow => ({
    baseId: b,
    baseName: info(b).name,
    baseEntity: info(b).entity,
    otherId: o,
    otherName: info(o).name,
    otherEntity: info(o).entity,
    similarity,
    decision,
  });
  return decisionsCsv([
    ...view.result.links.map((l) => row(l.base, l.other, l.similarity, 'accept')),
    ...view.decisions.filter((d) => !d.accepted).map((d) => row(d.base, d.other, d.similarity, 'reject')),
    ...view.result.candidates.map((c) => row(c.base, c.other, c.similarity, '')),
  ]);
}

// ───────────────────────────── comparisons over the links ─────────────────────────────

function panelSide(loaded: LoadedEdition): PanelSide {
  return {
    edition: loaded.results.edition,
    institutions: loaded.results.institutions.map((inst, row) => ({ key: loaded.ids[row]!, entity: inst.entity, type: inst.type, level: inst.level })),
    scores: loaded.results.scores,
  };
}

/** The panel comparison of two editions with per-institution results (published ones unless told otherwise). */
export async function editionPanel(baseId: string, otherId: string, by: PanelGrouping, options: { publishedOnly?: boolean } = {}): Promise<PanelComparison> {
  await editionPair(baseId, otherId);
  const [base, other, links] = await Promise.all([loadEditionResults(baseId, options), loadEditionResults(otherId, options), crosswalkLinks(baseId, otherId)]);
  return panelComparison(panelSide(base), panelSide(other), links, by, summaryColumns(base.results.compiled));
}

/** The crosswalks an edition takes part in, with the edition on the other side. */
async function pairsOf(editionId: string) {
  const docs = await CrosswalkModel.find({ $or: [{ baseEdition: editionId }, { otherEdition: editionId }] }, { baseEdition: 1, otherEdition: 1 }).lean();
  return docs.map((d) => ({ base: d.baseEdition, other: d.otherEdition }));
}

/**
 * The panels an edition's national report shows: for every stored crosswalk of the edition whose two
 * editions are published with results, the national and by-entity comparisons.
 */
export async function reportPanels(editionId: string, options: { publishedOnly?: boolean } = {}): Promise<PanelComparison[]> {
  const panels: PanelComparison[] = [];
  for (const pair of await pairsOf(editionId)) {
    try {
      panels.push(await editionPanel(pair.base, pair.other, 'national', options), await editionPanel(pair.base, pair.other, 'entity', options));
    } catch (error) {
      // An unpublished edition or one without results has no public panel.
      if (error instanceof HttpProblem && error.status === 404) continue;
      throw error;
    }
  }
  return panels;
}

export interface PreviousEdition {
  editionId: string;
  edition: string;
  title: string;
  institution: InstitutionInfo;
  /** Summary node → value in the previous edition. */
  values: Record<string, number | null>;
  link: { method: 'exact' | 'confirmed'; similarity: number };
}

/**
 * The same institutions in the latest earlier edition linked to each by a crosswalk, with their values
 * there: one lookup per edition pair, whatever the number of institutions (the bulk report cards).
 */
export async function previousEditions(editionId: string, institutionIds: readonly string[], options: { publishedOnly?: boolean } = {}): Promise<Map<string, PreviousEdition>> {
  const found = new Map<string, PreviousEdition>();
  const pairs = (await pairsOf(editionId)).filter((p) => p.other === editionId);
  if (pairs.length === 0) return found;
  const wanted = new Set(institutionIds);
  const editions = await EditionModel.find({ editionId: { $in: pairs.map((p) => p.base) } }, { editionId: 1, year: 1, title: 1, status: 1 }).sort({ year: -1 }).lean();
  for (const edition of editions) {
    if ((options.publishedOnly ?? true) && !isPublic(edition)) continue;
    const links = (await crosswalkLinks(edition.editionId, editionId)).filter((l) => wanted.has(l.other) && !found.has(l.other));
    if (links.length === 0) continue;
    const loaded = await loadEditionResults(edition.editionId, options).catch((error: unknown) => {
      if (error instanceof HttpProblem && error.status === 404) return undefined;
      throw error;
    });
    if (!loaded) continue;
    const rowOf = new Map(loaded.ids.map((id, row) => [id, row]));
    const nodes = summaryColumns(loaded.results.compiled);
    const nodeCount = loaded.results.compiled.nodeIds.length;
    for (const link of links) {
      const row = rowOf.get(link.base);
      if (row === undefined) continue;
      const inst = loaded.results.institutions[row]!;
      const values = Object.fromEntries(
        nodes.map((id) => {
          const v = loaded.results.scores.values[row * nodeCount + loaded.results.compiled.nodeIndex.get(id)!]!;
          return [id, Number.isNaN(v) ? null : v];
        }),
      );
      found.set(link.other, {
        editionId: edition.editionId,
        edition: loaded.results.edition,
        title: edition.title,
        institution: { id: link.base, name: inst.name, entity: inst.entity, type: inst.type, level: inst.level },
        values,
        link: { method: link.method, similarity: link.similarity },
      });
    }
  }
  return found;
}

/** The same institution in the latest earlier edition linked to it by a crosswalk, with its values there. */
export async function previousEdition(editionId: string, institutionId: string, options: { publishedOnly?: boolean } = {}): Promise<PreviousEdition | undefined> {
  return (await previousEditions(editionId, [institutionId], options)).get(institutionId);
}

/** Every stored crosswalk with its counts, for the admin index. */
export async function listCrosswalks(): Promise<{ baseEdition: string; otherEdition: string; version: number; counts?: MatchResult['counts']; computedAt?: Date }[]> {
  const docs = await CrosswalkModel.find({}, { baseEdition: 1, otherEdition: 1, version: 1, 'computed.counts': 1, 'computed.at': 1 }).sort({ baseEdition: 1, otherEdition: 1 }).lean();
  return docs.map((d) => {
    const computed = (d as { computed?: { counts?: MatchResult['counts']; at?: Date } }).computed;
    return { baseEdition: d.baseEdition, otherEdition: d.otherEdition, version: d.version, ...(computed?.counts && { counts: computed.counts }), ...(computed?.at && { computedAt: computed.at }) };
  });
}
