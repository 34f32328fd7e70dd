/** One measured figure, printed beside its reference. */
export interface Figure {
  name: string
  value: number
  unit: string
  /** What the figure is compared with, and that reference's value in the same unit. */
  reference?: { name: string; value: number }
  /** The ratio (value / reference, or value / goal when no reference) the issue asks for. */
  goal?: { ratio: number; of: 'reference' | number }
}

const format = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2))

/** Prints a figure as one line: value, reference, ratio and whether the goal is met. */
export function report(figure: Figure): boolean {
  let line = `${figure.name}: ${format(figure.value)} ${figure.unit}`
  let met = true
  if (figure.reference) {
    const ratio = figure.value / figure.reference.value
    line += ` | ${figure.reference.name}: ${format(figure.reference.value)} ${figure.unit} | ratio ${ratio.toFixed(2)}`
    if (figure.goal?.of === 'reference') {
      met = ratio >= figure.goal.ratio
      line += ` (goal ≥ ${figure.goal.ratio.toFixed(2)}: ${met ? 'met' : 'NOT met'})`
    }
  }
  if (figure.goal && typeof figure.goal.of === 'number') {
    const ratio = figure.value / figure.goal.of
    met = ratio >= figure.goal.ratio
    line += ` | ratio to goal ${format(figure.goal.of)} ${figure.unit}: ${ratio.toFixed(2)} (${met ? 'met' : 'NOT met'})`
  }
  console.log(line)
  return met
}

/** Runs `op` `count` times one after another and returns operations per second. */
export async function rate(count: number, op: (i: number) => unknown): Promise<number> {
  const start = process.hrtime.bigint()
  for (let i = 0; i < count; i++) await op(i)
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  return count / seconds
}

/** Like {@link rate} for synchronous work, without a microtask per operation. */
export function rateSync(count: number, op: (i: number) => void): number {
  const start = process.hrtime.bigint()
  for (let i = 0; i < count; i++) op(i)
  return count / (Number(process.hrtime.bigint() - start) / 1e9)
}

/** The best of `runs` measurements: the least disturbed by the other core's work. */
export async function best(runs: number, measure: () => Promise<number>): Promise<number> {
  let top = 0
  for (let i = 0; i < runs; i++) top = Math.max(top, await measure())
  return top
}
