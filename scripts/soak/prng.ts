/**
 * A small seeded PRNG (mulberry32) so every fault run can be replayed from its seed: the soak
 * prints the seed, and the same seed kills the same writers at the same moments.
 *
 * @module
 */

/** A deterministic source of numbers in [0, 1). */
export type Prng = () => number;

/**
 * Makes a mulberry32 generator.
 *
 * @param seed any 32-bit integer
 * @returns a function returning the next number in [0, 1)
 */
export function mulberry32(seed: number): Prng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * An integer in [min, max] from `rng`.
 *
 * @param rng the generator
 * @param min lowest value
 * @param max highest value
 */
export function intBetween(rng: Prng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}
