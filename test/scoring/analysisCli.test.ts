import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATA_2017, runCli } from './helpers.js';

describe('mga CLI: variants and robustness analyses', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mga-analysis-cli-'));
    writeFileSync(join(dir, 'weights.json'), '{"GA": {"T": 0.7, "P": 0.3}}');
    writeFileSync(join(dir, 'bad.json'), '{"GA": {"T": 0.7}}');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('recalc --weights recomputes GA (national 0.7·T + 0.3·P) and notes the skipped equivalence checks', async () => {
    const run = await runCli(['recalc', '--input', DATA_2017, '--by', 'national', '--round', '4', '--weights', join(dir, 'weights.json')]);
    expect(run.code).to.equal(0);
    const [header, line] = run.stdout.trimEnd().split('\n');
    expect(header).to.equal('group,n,GA,T,P,TG,TC,PG,PC');
    const [, , ga, t, p] = line!.split(',').map(Number);
    expect(ga).to.be.closeTo(0.7 * t! + 0.3 * p!, 1e-4);
    expect(run.stderr).to.match(/equivalence check "GA:subindices" of GA skipped/);
  });

  it('a bad variant exits 2 naming the problem', async () => {
    const run = await runCli(['recalc', '--input', DATA_2017, '--by', 'national', '--weights', join(dir, 'bad.json')]);
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/--weights: invalid variant: .*missing: P/);
  });

  it('uncertainty: the exact CSV header, sorted by nominal rank, byte-identical for the same seed', async () => {
    const args = ['uncertainty', '--input', DATA_2017, '--preset', 'mga-2017', '--by', 'entity', '--runs', '3000', '--seed', '42', '--weights-range', '0.3', '--aggregations', 'arithmetic,geometric', '--format', 'csv'];
    const [a, b] = await Promise.all([runCli(args), runCli(args)]);
    expect(a.code, a.stderr).to.equal(0);
    expect(a.stdout).to.equal(b.stdout);
    const lines = a.stdout.trimEnd().split('\n');
    expect(lines[0]).to.equal('group,nominal_rank,median_rank,p05_rank,p95_rank,mean_abs_shift');
    expect(lines).to.have.length(34);
    const nominal = lines.slice(1).map((l) => Number(l.split(',')[1]));
    expect(nominal).to.deep.equal([...nominal].sort((x, y) => x - y));
  });

  it('uncertainty --format json records methodology hash, seed, runs, R and date', async () => {
    const run = await runCli(['uncertainty', '--input', DATA_2017, '--by', 'type', '--runs', '200', '--seed', '5', '--format', 'json']);
    expect(run.code, run.stderr).to.equal(0);
    const json = JSON.parse(run.stdout);
    expect(json.parameters).to.include({ analysis: 'uncertainty', by: 'type', runs: 200, seed: 5, weightsRange: 0.25 });
    expect(json.parameters.methodology.hash).to.match(/^[0-9a-f]{64}$/);
    expect(Date.parse(json.parameters.date)).to.not.be.NaN;
    expect(json.groups).to.have.length(11);
  });

  it('sensitivity and coherence run; bad flags exit 2 with one line', async () => {
    const [sensitivity, coherence, bad] = await Promise.all([
      runCli(['sensitivity', '--input', DATA_2017, '--by', 'level', '--runs', '100', '--bootstrap', '50']),
      runCli(['coherence', '--input', DATA_2017]),
      runCli(['uncertainty', '--input', DATA_2017, '--weights-range', '2']),
    ]);
    expect(sensitivity.code, sensitivity.stderr).to.equal(0);
    expect(sensitivity.stdout.split('\n')[0]).to.equal('factor,first_order,first_order_low,first_order_high,total_order,total_order_low,total_order_high');
    expect(sensitivity.stdout).to.match(/^weights:GA,/m);
    expect(coherence.code, coherence.stderr).to.equal(0);
    expect(JSON.parse(coherence.stdout).pca.nodes).to.deep.equal(['TG', 'TC', 'PG', 'PC']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.equal('mga uncertainty: --weights-range must be a number from 0 to below 1, got "2"\n');
  });
});
