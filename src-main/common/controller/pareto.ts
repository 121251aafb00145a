/** Pareto front over (cost, accuracy) points: lower cost and higher accuracy are better. Pure. */
export interface ParetoPoint {
  label: string;
  cost: number;
  accuracy: number;
}

/** The points no other point dominates (cost <= and accuracy >=, one strictly), sorted by cost. */
export function paretoFront<T extends ParetoPoint>(points: readonly T[]): T[] {
  const front = points.filter((p) => !points.some((q) => q !== p &&
    q.cost <= p.cost && q.accuracy >= p.accuracy && (q.cost < p.cost || q.accuracy > p.accuracy)));
  return [...front].sort((a, b) => a.cost - b.cost || b.accuracy - a.accuracy);
}
