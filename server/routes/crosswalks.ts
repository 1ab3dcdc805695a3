/**
 * Correspondences between the institutions of two editions (admins): the page to confirm or reject
 * the proposed pairs one by one, in bulk above a similarity, or with a CSV file, and the same in the
 * JSON API. Views: server/views/crosswalks/.
 */
import { Router, type Request, type Response } from 'express';
import type { JSONSchemaType } from 'ajv';
import { currentUser, requireUser, userActor } from '../auth/access.js';
import type { ApiRegistry } from '../http/api.js';
import { HttpProblem, type FieldError } from '../http/problem.js';
import { flash, renderPage } from '../http/render.js';
import { formFields, validator } from '../http/validate.js';
import { EditionModel } from '../models/edition.js';
import { acceptAbove, crosswalk, crosswalkCsv, decide, decideFromCsv, editionPair, listCrosswalks, type CrosswalkView, type Decision } from '../services/crosswalks.js';
import { formatCount, formatScore } from '../../reports/format.js';

const base = (b: string, o: string) => `/admin/correspondencias/${encodeURIComponent(b)}/${encodeURIComponent(o)}`;

interface DecisionBody {
  base: string;
  other: string;
  decision: Decision;
}
const decisionSchema: JSONSchemaType<DecisionBody> = {
  type: 'object',
  properties: {
    base: { type: 'string', pattern: '^[0-9a-f]{24}$' },
    other: { type: 'string', pattern: '^[0-9a-f]{24}$' },
    decision: { type: 'string', enum: ['accept', 'reject', 'undo'] },
  },
  required: ['base', 'other', 'decision'],
  additionalProperties: false,
};
const checkDecision = validator(decisionSchema, 'body');

const thresholdSchema: JSONSchemaType<{ threshold: number }> = {
  type: 'object',
  properties: { threshold: { type: 'number', minimum: 0.75, maximum: 1 } },
  required: ['threshold'],
  additionalProperties: false,
};
const checkThreshold = validator(thresholdSchema, 'body');

/** The Spanish of the service's reasons (English in the API), for the page's error summary. */
function spanish(reason: string): string {
  const rules: [RegExp, (m: RegExpMatchArray) => string][] = [
    [/already linked \((exact|confirmed)\) to another institution/, (m) => `ya está vinculado (${m[1] === 'exact' ? 'coincidencia exacta' : 'confirmado'}) con otro sujeto obligado; deshaga ese vínculo primero`],
    [/already linked to another/, () => 'uno de los dos ya está vinculado con otro sujeto obligado'],
    [/just linked to another by someone else/, () => 'otra persona acaba de vincular a uno de los dos sujetos obligados; recargue la página'],
    [/not an institution of edition (\S+)/, (m) => `no es un sujeto obligado de la edición ${m[1]}`],
    [/decision must be accept or reject/, () => 'la decisión debe ser «aceptar» o «rechazar»'],
    [/missing column "([^"]+)"/, (m) => `falta la columna «${m[1]}» (columnas: base_name, base_entity, other_name, other_entity, decision, o base_id, other_id, decision)`],
    [/give the (base|other) institution's id, or its name and entity/, (m) => `falta el identificador, o el nombre y la entidad, del sujeto obligado de la edición ${m[1] === 'base' ? 'anterior' : 'posterior'}`],
    [/no (base|other) institution has this id/, (m) => `ningún sujeto obligado de la edición ${m[1] === 'base' ? 'anterior' : 'posterior'} tiene este identificador`],
    [/unknown entity "([^"]*)"/, (m) => `entidad desconocida «${m[1]}»`],
    [/no (base|other) institution of (.+) is named "(.*)"/, (m) => `ningún sujeto obligado de ${m[2]} se llama «${m[3]}» en la edición ${m[1] === 'base' ? 'anterior' : 'posterior'}`],
    [/(\d+) (base|other) institutions of (.+) are named "(.*)"/, (m) => `${m[1]} sujetos obligados de ${m[3]} se llaman «${m[4]}»: indique su identificador`],
    [/no data rows|empty file/, () => 'el archivo no tiene filas de datos'],
  ];
  for (const [pattern, es] of rules) {
    const m = reason.match(pattern);
    if (m) return es(m);
  }
  return reason;
}

function pageErrors(error: HttpProblem): FieldError[] {
  return (error.errors ?? [{ field: 'archivo', reason: error.detail ?? error.title }]).map((e) => ({ ...e, reason: spanish(e.reason), ...(e.row !== undefined && { label: `Fila ${e.row}` }) }));
}

const similarity = (s: number) => formatScore(s, 2);

/** The page's view of a crosswalk: counts, open candidates per base institution, decisions, links and the unmatched. */
function pageData(view: CrosswalkView) {
  const info = (id: string) => view.institutions.get(id)!;
  const { result } = view;
  const rejected = view.decisions.filter((d) => !d.accepted);
  const byBase = new Map<string, typeof result.candidates>();
  for (const c of result.candidates) byBase.set(c.base, [...(byBase.get(c.base) ?? []), c]);
  const exact = result.links.filter((l) => l.method === 'exact');
  const confirmed = result.links.filter((l) => l.method === 'confirmed');
  const candidateOthers = new Set(result.candidates.map((c) => c.other));
  return {
    pair: { base: view.base, other: view.other, href: base(view.base.editionId, view.other.editionId) },
    counts: {
      base: formatCount(result.counts.base),
      other: formatCount(result.counts.other),
      exact: formatCount(exact.length),
      confirmed: formatCount(confirmed.length),
      rejected: formatCount(rejected.length),
      pending: formatCount(byBase.size),
      unmatchedBase: formatCount(result.unmatchedBase.length),
      unmatchedOther: formatCount(result.unmatchedOther.length),
      linkedShare: result.counts.base === 0 ? '0' : `${Math.round((100 * result.links.length) / result.counts.base)}`,
    },
    groups: [...byBase.entries()].map(([b, candidates]) => ({
      base: info(b),
      candidates: candidates.map((c) => ({ other: info(c.other), similarity: similarity(c.similarity), sameType: c.sameType, mutualBest: c.mutualBest })),
    })),
    confirmed: confirmed.map((l) => ({ base: info(l.base), other: info(l.other), similarity: similarity(l.similarity) })),
    rejected: rejected.map((d) => ({ base: info(d.base), other: info(d.other), similarity: d.similarity === null ? '—' : similarity(d.similarity) })),
    exact: exact.map((l) => ({ base: info(l.base), other: info(l.other) })),
    unmatchedBase: result.unmatchedBase.filter((id) => !byBase.has(id)).map(info),
    unmatchedOther: result.unmatchedOther.filter((id) => !candidateOthers.has(id)).map(info),
    ambiguous: result.problems.filter((p) => p.kind === 'ambiguous').map((p) => ({ side: p.side === 'base' ? view.base.editionId : view.other.editionId, names: p.keys.map((k) => info(k).name).join('; ') })),
  };
}

export function crosswalksRouter(): Router {
  const router = Router();
  const admin = requireUser('admin');

  const show = async (req: Request, res: Response, b: string, o: string, extra: { errors?: FieldError[]; status?: number } = {}) => {
    const view = await crosswalk(b, o);
    renderPage(req, res, 'crosswalks/pair', { title: `Correspondencias ${b} → ${o}`, ...pageData(view), ...(extra.errors && { errors: extra.errors }) }, { ...(extra.status && { status: extra.status }) });
  };
  /** Runs a change; a 4xx re-renders the page with the reasons in Spanish, nothing changed. */
  const change = (work: (req: Request, res: Response, b: string, o: string) => Promise<string>) => async (req: Request, res: Response) => {
    const b = String(req.params.base);
    const o = String(req.params.other);
    try {
      flash(req, await work(req, res, b, o));
      res.redirect(303, base(b, o));
    } catch (error) {
      if (!(error instanceof HttpProblem) || error.status >= 500 || error.status === 404) throw error;
      await show(req, res, b, o, { errors: pageErrors(error), status: error.status });
    }
  };

  router.get('/admin/correspondencias', admin, async (req, res) => {
    const [pairs, editions] = await Promise.all([listCrosswalks(), EditionModel.find({}, { editionId: 1, year: 1, title: 1 }).sort({ year: 1 }).lean()]);
    renderPage(req, res, 'crosswalks/index', {
      title: 'Correspondencias entre ediciones',
      editions,
      pairs: pairs.map((p) => ({ base: p.baseEdition, other: p.otherEdition, href: base(p.baseEdition, p.otherEdition), counts: p.counts })),
    });
  });

  router.get('/admin/correspondencias/ver', admin, async (req, res) => {
    const b = typeof req.query.base === 'string' ? req.query.base : '';
    const o = typeof req.query.otra === 'string' ? req.query.otra : '';
    try {
      await editionPair(b, o);
    } catch (error) {
      if (!(error instanceof HttpProblem) || error.status >= 500) throw error;
      const editions = await EditionModel.find({}, { editionId: 1, year: 1, title: 1 }).sort({ year: 1 }).lean();
      const reason = error.status === 404 ? 'elija dos ediciones existentes' : b === o ? 'elija dos ediciones distintas' : 'la edición base debe ser la anterior (la de menor año)';
      return renderPage(req, res, 'crosswalks/index', { title: 'Correspondencias entre ediciones', editions, pairs: [], errors: [{ field: 'base', reason }] }, { status: error.status });
    }
    res.redirect(303, base(b, o));
  });

  router.get('/admin/correspondencias/:base/:other', admin, async (req, res) => show(req, res, String(req.params.base), String(req.params.other)));

  router.get('/admin/correspondencias/:base/:other/correspondencias.csv', admin, async (req, res) => {
    const view = await crosswalk(String(req.params.base), String(req.params.other));
    res.attachment(`correspondencias-${view.base.editionId}-${view.other.editionId}.csv`).type('text/csv; charset=utf-8').send(crosswalkCsv(view));
  });

  router.post(
    '/admin/correspondencias/:base/:other/decisiones',
    admin,
    change(async (req, res, b, o) => {
      const body = checkDecision(formFields(req.body));
      await decide(b, o, body, userActor(currentUser(res)), 'page');
      return { accept: 'Pareja aceptada: los dos sujetos obligados quedan vinculados.', reject: 'Pareja rechazada: no se volverá a proponer.', undo: 'Decisión deshecha.' }[body.decision];
    }),
  );

  router.post(
    '/admin/correspondencias/:base/:other/aceptar-propuestas',
    admin,
    change(async (req, res, b, o) => {
      const { threshold } = checkThreshold(formFields(req.body));
      const summary = await acceptAbove(b, o, threshold, userActor(currentUser(res)));
      return `${formatCount(summary.applied)} propuestas aceptadas (similitud de ${formatScore(threshold)} o más, la mejor para ambos sujetos obligados).`;
    }),
  );

  router.post(
    '/admin/correspondencias/:base/:other/archivo',
    admin,
    change(async (req, res, b, o) => {
      const files = (req.files as { fieldname: string; buffer: Buffer }[] | undefined) ?? [];
      const file = files.find((f) => f.fieldname === 'archivo');
      if (!file) throw new HttpProblem(400, 'Bad Request', 'attach the decisions file as multipart field "archivo"', [{ field: 'archivo', reason: 'no se envió ningún archivo' }]);
      const summary = await decideFromCsv(b, o, file.buffer, userActor(currentUser(res)));
      return `Archivo aplicado: ${formatCount(summary.applied)} decisiones nuevas.`;
    }),
  );

  return router;
}

// ───────────────────────────── JSON API ─────────────────────────────

const institutionSchema = {
  type: 'object',
  required: ['id', 'name', 'entity', 'type', 'level'],
  properties: { id: { type: 'string' }, name: { type: 'string' }, entity: { type: 'string' }, type: { type: 'string' }, level: { type: 'string' } },
};
const countsSchema = {
  type: 'object',
  required: ['base', 'other', 'exact', 'confirmed', 'candidates', 'unmatchedBase', 'unmatchedOther'],
  properties: Object.fromEntries(['base', 'other', 'exact', 'confirmed', 'candidates', 'unmatchedBase', 'unmatchedOther'].map((k) => [k, { type: 'integer', minimum: 0 }])),
};
const crosswalkSchema = {
  type: 'object',
  required: ['base', 'other', 'version', 'counts', 'links', 'candidates', 'decisions', 'unmatchedBase', 'unmatchedOther'],
  properties: {
    base: { type: 'string', description: 'the earlier edition' },
    other: { type: 'string' },
    version: { type: 'integer', description: 'bumped by every decision' },
    counts: countsSchema,
    links: { type: 'array', items: { type: 'object', required: ['base', 'other', 'method', 'similarity'], properties: { base: institutionSchema, other: institutionSchema, method: { type: 'string', enum: ['exact', 'confirmed'] }, similarity: { type: 'number' } } } },
    candidates: { type: 'array', items: { type: 'object', required: ['base', 'other', 'similarity', 'sameType', 'mutualBest'], properties: { base: institutionSchema, other: institutionSchema, similarity: { type: 'number' }, sameType: { type: 'boolean' }, mutualBest: { type: 'boolean' } } } },
    decisions: { type: 'array', items: { type: 'object', required: ['base', 'other', 'accepted', 'decidedAt', 'via'], properties: { base: { type: 'string' }, other: { type: 'string' }, accepted: { type: 'boolean' }, similarity: { type: ['number', 'null'] }, decidedAt: { type: 'string', format: 'date-time' }, via: { type: 'string' } } } },
    unmatchedBase: { type: 'array', items: institutionSchema },
    unmatchedOther: { type: 'array', items: institutionSchema },
  },
};
const summarySchema = { type: 'object', required: ['applied', 'counts'], properties: { applied: { type: 'integer' }, counts: countsSchema } };
const PROBLEM = { $ref: '#/components/schemas/Problem' };
const problemResponse = (description: string) => ({ description, schema: PROBLEM, contentType: 'application/problem+json' });

function crosswalkJson(view: CrosswalkView) {
  const info = (id: string) => view.institutions.get(id)!;
  return {
    base: view.base.editionId,
    other: view.other.editionId,
    version: view.version,
    counts: view.result.counts,
    links: view.result.links.map((l) => ({ base: info(l.base), other: info(l.other), method: l.method, similarity: l.similarity })),
    candidates: view.result.candidates.map((c) => ({ base: info(c.base), other: info(c.other), similarity: c.similarity, sameType: c.sameType, mutualBest: c.mutualBest })),
    decisions: view.decisions.map((d) => ({ ...d, decidedAt: d.decidedAt.toISOString() })),
    unmatchedBase: view.result.unmatchedBase.map(info),
    unmatchedOther: view.result.unmatchedOther.map(info),
  };
}

export function registerCrosswalksApi(api: ApiRegistry): void {
  const admin = requireUser('admin');
  const pairResponses = { 400: problemResponse('the base edition is not the earlier one, or the same edition twice'), 404: problemResponse('unknown edition') };

  api.add(
    { method: 'get', path: '/crosswalks', summary: 'Stored crosswalks between editions, with their counts', tag: 'crosswalks', access: 'admin', responses: { 200: { description: 'the crosswalks', schema: { type: 'object', required: ['crosswalks'], properties: { crosswalks: { type: 'array', items: { type: 'object', required: ['base', 'other', 'version'], properties: { base: { type: 'string' }, other: { type: 'string' }, version: { type: 'integer' }, counts: countsSchema } } } } } } } },
    admin,
    async (_req, res) => {
      res.json({ crosswalks: (await listCrosswalks()).map((p) => ({ base: p.baseEdition, other: p.otherEdition, version: p.version, ...(p.counts && { counts: p.counts }) })) });
    },
  );

  api.add(
    { method: 'get', path: '/crosswalks/:base/:other', summary: 'The crosswalk of two editions (base = the earlier): links, open candidates, decisions and the unmatched on both sides', tag: 'crosswalks', access: 'admin', responses: { 200: { description: 'the crosswalk as it stands', schema: crosswalkSchema }, ...pairResponses } },
    admin,
    async (req, res) => {
      res.json(crosswalkJson(await crosswalk(String(req.params.base), String(req.params.other))));
    },
  );

  api.add(
    {
      method: 'post',
      path: '/crosswalks/:base/:other/decisions',
      summary: 'Accept, reject or undo a pair (JSON), or apply a decisions CSV (text/csv, the layout of the download); all or nothing',
      tag: 'crosswalks',
      access: 'admin',
      body: decisionSchema,
      bodyTypes: ['text/csv'],
      responses: { 200: { description: 'applied', schema: summarySchema }, ...pairResponses, 409: problemResponse('an institution of the pair is already linked to another') },
    },
    admin,
    async (req, res) => {
      const b = String(req.params.base);
      const o = String(req.params.other);
      if (Buffer.isBuffer(req.body)) return res.json(await decideFromCsv(b, o, req.body, userActor(currentUser(res))));
      res.json(await decide(b, o, checkDecision(req.body ?? {}), userActor(currentUser(res)), 'api'));
    },
  );

  api.add(
    { method: 'get', path: '/crosswalks/:base/:other/decisions.csv', summary: 'The crosswalk as a decisions CSV: links (accept), rejected pairs (reject) and open candidates (empty decision)', tag: 'crosswalks', access: 'admin', responses: { 200: { description: 'CSV with header base_id,base_name,base_entity,other_id,other_name,other_entity,similarity,decision', schema: { type: 'string' }, contentType: 'text/csv' }, ...pairResponses } },
    admin,
    async (req, res) => {
      const view = await crosswalk(String(req.params.base), String(req.params.other));
      res.attachment(`crosswalk-${view.base.editionId}-${view.other.editionId}.csv`).type('text/csv; charset=utf-8').send(crosswalkCsv(view));
    },
  );
}
