/**
 * The open data package: from the CLI (a folder) and over HTTP (a zip) for the 2017 edition; every
 * CSV's header equals its schema and every number field parses (reports/datapackageCheck.ts).
 */
import { expect } from 'chai';
import { unzipSync, strFromU8 } from 'fflate';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { PackageFile } from '../../reports/datapackage.js';
import { checkDataPackage } from '../../reports/datapackageCheck.js';
import { loadReferenceEditions } from '../../server/services/referenceData.js';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { DATA_2017, runCli } from '../scoring/helpers.js';

function readTree(dir: string): PackageFile[] {
  const walk = (d: string): string[] => readdirSync(d).flatMap((name) => (statSync(join(d, name)).isDirectory() ? walk(join(d, name)) : [join(d, name)]));
  return walk(dir).map((path) => ({ path: relative(dir, path), content: readFileSync(path, 'utf-8') }));
}

function expectSoundPackage(files: PackageFile[]): void {
  expect(checkDataPackage(files)).to.deep.equal([]);
  const descriptor = JSON.parse(files.find((f) => f.path === 'datapackage.json')!.content);
  expect(descriptor.name).to.equal('mga-2017');
  expect(descriptor.licenses).to.have.length(1);
  expect(descriptor.sources.length).to.be.greaterThan(0);
  const paths = files.map((f) => f.path);
  expect(paths).to.include.members(['datos/sujetos_obligados.csv', 'datos/grupos_entidad.csv', 'datos/grupos_tipo.csv', 'datos/grupos_nivel.csv', 'datos/nacional.csv', 'datos/cifras_publicadas.csv', 'metodologia.json', 'libro_de_codigos.md', 'codebook.en.md']);
  for (const resource of descriptor.resources.filter((r: { schema?: unknown }) => r.schema)) {
    const [header] = parse(files.find((f) => f.path === resource.path)!.content, { to_line: 1 }) as string[][];
    expect(header, resource.path).to.deep.equal(resource.schema.fields.map((f: { name: string }) => f.name));
    for (const field of resource.schema.fields) expect(field.title, `${resource.path} ${field.name}`).to.be.a('string').and.not.equal('');
  }
  const institutions = parse(files.find((f) => f.path === 'datos/sujetos_obligados.csv')!.content, { columns: true }) as Record<string, string>[];
  expect(institutions).to.have.length(908);
  const national = parse(files.find((f) => f.path === 'datos/nacional.csv')!.content, { columns: true }) as Record<string, string>[];
  expect(Number(national[0]!.GA)).to.be.closeTo(0.3887, 1e-4);
  expect(files.find((f) => f.path === 'libro_de_codigos.md')!.content).to.match(/Libro de códigos/);
  expect(files.find((f) => f.path === 'codebook.en.md')!.content).to.match(/# Codebook/);
}

describe('open data package', function () {
  this.timeout(180_000);

  it('the checker catches a header that differs from its schema and a number that does not parse', () => {
    const descriptor = {
      name: 'x',
      title: 'x',
      created: '2025-01-01T00:00:00Z',
      licenses: [{ name: 'unknown' }],
      sources: [{ title: 's' }],
      resources: [{ name: 't', path: 't.csv', title: 't', profile: 'tabular-data-resource', schema: { fields: [{ name: 'a', type: 'number', title: 'A', description: 'a', constraints: { maximum: 1 } }, { name: 'b', type: 'integer', title: 'B', description: 'b' }] } }],
    };
    const files = (csv: string) => [{ path: 'datapackage.json', content: JSON.stringify(descriptor) }, { path: 't.csv', content: csv }];
    expect(checkDataPackage(files('a,b\n0.5,3\n,4\n'))).to.deep.equal([]);
    expect(checkDataPackage(files('b,a\n3,0.5\n'))[0]).to.match(/header .* differs/);
    expect(checkDataPackage(files('a,b\n0,5,3\n'))).to.have.length.greaterThan(0);
    expect(checkDataPackage(files('a,b\nabc,3\n1.5,2.5\n'))).to.deep.equal(['t.csv: row 2, a: "abc" is not a valid number', 't.csv: row 3, a: 1.5 is above 1', 't.csv: row 3, b: "2.5" is not a valid integer']);
  });

  it('mga export writes a sound package into a folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mga-export-'));
    try {
      const run = await runCli(['export', '--input', DATA_2017, '--preset', 'mga-2017', '--out', join(dir, 'paquete')]);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.match(/^10 files written/);
      expectSoundPackage(readTree(join(dir, 'paquete')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('over HTTP (real MongoDB)', () => {
    let server: TestServer;
    before(async () => {
      await useTestDatabase('datapackage_http');
      await loadReferenceEditions(() => {});
      server = await startTestServer();
    });
    after(async () => server?.close());

    it('GET /api/v1/editions/mga-2017/datapackage.zip is a sound package; unknown editions are 404', async () => {
      const res = await fetch(`${server.url}/api/v1/editions/mga-2017/datapackage.zip`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('application/zip');
      expect(res.headers.get('content-disposition')).to.equal('attachment; filename=mga-2017-datapackage.zip');
      const entries = unzipSync(new Uint8Array(await res.arrayBuffer()));
      expectSoundPackage(Object.entries(entries).map(([path, bytes]) => ({ path, content: strFromU8(bytes) })));
      const missing = await fetch(`${server.url}/api/v1/editions/mga-1999/datapackage.zip`);
      expect(missing.status).to.equal(404);
      expect(missing.headers.get('content-type')).to.match(/^application\/problem\+json/);
    });

    it('POST what-if: ranks and rank changes; a bad variant is 400 naming the problem; one that cannot be recomputed is 422', async () => {
      const post = (body: unknown, query = '') =>
        fetch(`${server.url}/api/v1/editions/mga-2017/what-if${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const res = await post({ GA: { T: 0.7, P: 0.3 } });
      expect(res.status).to.equal(200);
      const json = await res.json();
      expect(json.groups).to.have.length(33);
      expect(json.parameters.methodology.derivedFrom.id).to.equal('mga-2017');
      expect(json.skippedEquivalences.map((s: { path: string }) => s.path)).to.deep.equal(['GA:perspectives', 'GA:subindices']);
      for (const g of json.groups) expect(g.rankChange).to.equal(g.official.rank - g.variant.rank);
      const byType = await (await post({ GA: { T: 0.5, P: 0.5 } }, '?by=type')).json();
      expect(byType.groups.every((g: { rankChange: number }) => g.rankChange === 0)).to.equal(true);
      const bad = await post({ GA: { T: 0.7 } });
      expect(bad.status).to.equal(400);
      expect((await bad.json()).detail).to.match(/missing: P/);
      const deep = await post({ TG: { 'TG.AI': 0.25, 'TG.TR': 0.25, 'TG.TP': 0.25, 'TG.DA': 0.25 } });
      expect(deep.status).to.equal(422);
      expect((await deep.json()).detail).to.match(/"TG".*908 of 908/);
    });

    it('GET coherence: correlations, alpha, PCA and flags', async () => {
      const res = await fetch(`${server.url}/api/v1/editions/mga-2017/coherence`);
      expect(res.status).to.equal(200);
      const json = await res.json();
      expect(json.pca.nodes).to.deep.equal(['TG', 'TC', 'PG', 'PC']);
      expect(json.parameters.methodology.hash).to.match(/^[0-9a-f]{64}$/);
    });
  });
});
