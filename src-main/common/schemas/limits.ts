/**
 * Limits on raw JSON-ish input, checked before a schema parses it: a schema library walks values recursively, so
 * a 10,000-deep object would blow the stack (or be stored as sent). This walk is iterative and stops at the
 * first value over a limit.
 */
export interface JsonLimits {
  /** Deepest nesting of objects and arrays (the top value is depth 1). Defaults to 32. */
  maxDepth: number;
  /** Object keys plus array elements, counted over the whole value. Defaults to 20,000. */
  maxNodes: number;
  /** Longest single string (keys included), characters. Defaults to 1,000,000. */
  maxString: number;
  /** All strings together, characters. Defaults to 8 Mi (the WebSocket frame limit). */
  maxTotalString: number;
}

export const defaultJsonLimits: Readonly<JsonLimits> = {
  maxDepth: 32,
  maxNodes: 20_000,
  maxString: 1_000_000,
  maxTotalString: 8 * 1024 * 1024,
};

/** Files the host wrote itself: big (long answers, probe weights), but still never deeper than 32. */
export const storedJsonLimits: Readonly<JsonLimits> = {
  maxDepth: 32,
  maxNodes: 10_000_000,
  maxString: 2 ** 29,
  maxTotalString: 2 ** 31,
};

export type JsonPath = (string | number)[];

export interface JsonLimitIssue {
  path: JsonPath;
  message: string;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The first place where `value` is not plain JSON data within `limits`, or null when it is. */
export function checkJsonLimits(value: unknown, limits: Readonly<JsonLimits> = defaultJsonLimits): JsonLimitIssue | null {
  const stack: { v: unknown; path: JsonPath; depth: number }[] = [{ v: value, path: [], depth: 1 }];
  let nodes = 0;
  let chars = 0;
  const text = (s: string, path: JsonPath): JsonLimitIssue | null => {
    if (s.length > limits.maxString) return { path, message: `is too long (at most ${limits.maxString} characters)` };
    chars += s.length;
    if (chars > limits.maxTotalString) return { path, message: `makes the request too large (at most ${limits.maxTotalString} characters of text in all)` };
    return null;
  };
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (v === null || v === undefined || typeof v === 'boolean' || typeof v === 'number') continue;
    if (typeof v === 'string') {
      const issue = text(v, path);
      if (issue) return issue;
      continue;
    }
    if (typeof v !== 'object') return { path, message: 'is not JSON data' };
    if (depth > limits.maxDepth) return { path, message: `is nested too deeply (at most ${limits.maxDepth} levels)` };
    if (Array.isArray(v)) {
      nodes += v.length;
      if (nodes > limits.maxNodes) return { path, message: `is too large (at most ${limits.maxNodes} values in all)` };
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: [...path, i], depth: depth + 1 });
      continue;
    }
    if (!isPlainObject(v)) return { path, message: 'is not JSON data' };
    const keys = Object.keys(v);
    nodes += keys.length;
    if (nodes > limits.maxNodes) return { path, message: `is too large (at most ${limits.maxNodes} values in all)` };
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      // JSON.parse makes "__proto__" an own key; a spread or merge of it would replace a prototype.
      if (k === '__proto__') return { path, message: "must not have a '__proto__' key" };
      const issue = text(k, [...path, k]);
      if (issue) return issue;
      stack.push({ v: (v as Record<string, unknown>)[k], path: [...path, k], depth: depth + 1 });
    }
  }
  return null;
}
