// Timing helpers shared by the benchmarks in bench/.

/** The value after `name` on the command line as a number, else `fallback`. */
export function numberOption(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** The shortest of `runs` runs of `f` (which may be async), in milliseconds. */
export async function bestOf(runs, f) {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await f();
    min = Math.min(min, performance.now() - start);
  }
  return min;
}

/** The median of the numbers in `xs` that are not NaN (NaN when there are none). */
export function median(xs) {
  const sorted = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
}
