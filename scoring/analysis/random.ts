/**
 * Seeded pseudo-random numbers for the analyses: pure-rand's xoroshiro128+ (a well-kept, widely used
 * TypeScript implementation; 2^128 − 1 period, with a jump function of 2^64 steps) and its 53-bit
 * uniform doubles in [0, 1). Work is cut into fixed chunks of runs; chunk k draws from the seed's
 * generator jumped k times, so results do not depend on how chunks are spread over threads.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

export const RUNS_PER_CHUNK = 1024;
export const MAX_SEED = 2 ** 31 - 1;

export interface Uniform {
  /** The next double in [0, 1). */
  next(): number;
}

/** The generator of chunk `chunk` (0-based) of a seed's stream. `stream` separates independent uses of one seed. */
export function chunkGenerator(seed: number, chunk: number, stream = 0): Uniform {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw new RangeError(`seed must be an integer from 0 to ${MAX_SEED}, got ${seed}`);
  const rng = xoroshiro128plus((seed + Math.imul(stream, 0x9e3779b1)) | 0);
  for (let k = 0; k < chunk; k++) rng.jump();
  return { next: () => uniformFloat64(rng) };
}
