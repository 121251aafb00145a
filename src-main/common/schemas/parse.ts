/**
 * Parsing untrusted values with a schema: the JSON limits first, then the schema, and one readable message that
 * names the field ("controller.strategies.easy.budgetFraction must be null or 0..10").
 */
import { z } from 'zod';
import { checkJsonLimits, defaultJsonLimits, type JsonLimits, type JsonPath } from './limits';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** `a.b[2].c`; '' for the value itself. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

const article = (t: string): string => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);
const typeNames: Record<string, string> = { int: 'whole number', array: 'list', record: 'object', tuple: 'list' };

/** Messages for issues whose schema did not set its own; they read after the field's path. */
const errorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'is required';
      if (iss.expected === 'never') return 'is not allowed';
      return `must be ${article(typeNames[iss.expected] ?? iss.expected)}`;
    case 'too_big':
      if (iss.origin === 'string') return `is too long (at most ${iss.maximum} characters)`;
      if (iss.origin === 'array') return `has too many items (at most ${iss.maximum})`;
      return `must be ${iss.inclusive === false ? '<' : '<='} ${iss.maximum}`;
    case 'too_small':
      if (iss.origin === 'string') return Number(iss.minimum) <= 1 ? 'must not be empty' : `must be at least ${iss.minimum} characters`;
      if (iss.origin === 'array') return Number(iss.minimum) <= 1 ? 'must not be empty' : `needs at least ${iss.minimum} items`;
      return `must be ${iss.inclusive === false ? '>' : '>='} ${iss.minimum}`;
    case 'invalid_value':
      return iss.values.length === 1 ? `must be ${JSON.stringify(iss.values[0])}` : `must be one of ${iss.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_format':
      return 'has the wrong format';
    default:
      return undefined;
  }
};

export interface DescribeOptions {
  /** What an unknown key at the top is called: 'parameter' (API params), 'setting', ... Defaults to 'key'. */
  topKey?: string;
}

function describeIssue(iss: z.core.$ZodIssue, o: DescribeOptions): string {
  const path = formatPath(iss.path);
  if (iss.code === 'unrecognized_keys') {
    const noun = path === '' ? (o.topKey ?? 'key') : 'key';
    const more = iss.keys.length > 1 ? ` (and ${iss.keys.length - 1} more)` : '';
    return `${path === '' ? '' : `${path}: `}unknown ${noun} '${String(iss.keys[0]).slice(0, 100)}'${more}`;
  }
  return path === '' ? iss.message : `${path} ${iss.message}`;
}

/** The issues of a failed parse as one sentence (at most three of them). */
export function describeIssues(issues: readonly z.core.$ZodIssue[], o: DescribeOptions = {}): string {
  const parts = issues.slice(0, 3).map((i) => describeIssue(i, o));
  if (issues.length > 3) parts.push(`${issues.length - 3} more`);
  return parts.join('; ');
}

export interface ParseOptions extends DescribeOptions {
  /** Limits checked before the schema runs. Defaults to defaultJsonLimits. */
  limits?: Readonly<JsonLimits>;
  /** Prefix of the path in messages (e.g. 'controller' when parsing a settings field on its own). */
  at?: JsonPath;
}

/** Checks the JSON limits, then parses; never throws for bad input. */
export function safeParseJson<S extends z.ZodType>(schema: S, value: unknown, o: ParseOptions = {}): ParseResult<z.output<S>> {
  const at = o.at ?? [];
  const over = checkJsonLimits(value, o.limits ?? defaultJsonLimits);
  if (over) {
    const path = formatPath([...at, ...over.path]);
    return { ok: false, message: path === '' ? `the value ${over.message}` : `${path} ${over.message}` };
  }
  const r = schema.safeParse(value, { error: errorMap });
  if (r.success) return { ok: true, value: r.data };
  const issues = at.length === 0 ? r.error.issues : r.error.issues.map((i) => ({ ...i, path: [...at, ...i.path] }));
  return { ok: false, message: describeIssues(issues, o) };
}
