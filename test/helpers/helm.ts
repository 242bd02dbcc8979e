import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';

/**
 * Renders a Helm chart without Helm (not installable here): the subset of Go templates and Sprig the Circle
 * chart uses, and nothing else. Anything outside it (an unknown function, an unclosed block) throws, so the chart
 * cannot quietly drift beyond what this checks. Helm's own rendering is not run; the README says so.
 */

/** `.`, `$` and the variables a `range $i := …` binds. */
type Scope = { dot: unknown; root: Record<string, unknown>; vars?: Record<string, unknown> };
type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; expr: string }
  | { kind: 'if'; branches: { cond: string | null; body: Node[] }[] }
  | { kind: 'with'; expr: string; body: Node[] }
  | { kind: 'range'; variable: string; expr: string; body: Node[] };

interface Chart {
  defines: Map<string, Node[]>;
  files: (name: string) => string;
}

/** Splits template text into text and actions, applying `{{-` and `-}}` whitespace trimming. */
function tokenize(source: string): ({ text: string } | { action: string })[] {
  const tokens: ({ text: string } | { action: string })[] = [];
  // A quoted string inside an action may itself hold braces ({{ "}}" }}).
  const pattern = /\{\{(-?)\s*((?:"(?:[^"\\]|\\.)*"|[\s\S])*?)\s*(-?)\}\}/g;
  let last = 0;
  let trimNext = false;
  for (let match = pattern.exec(source); match; match = pattern.exec(source)) {
    let text = source.slice(last, match.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (match[1]) text = text.replace(/\s+$/, '');
    tokens.push({ text }, { action: match[2]! });
    trimNext = Boolean(match[3]);
    last = pattern.lastIndex;
  }
  let rest = source.slice(last);
  if (trimNext) rest = rest.replace(/^\s+/, '');
  tokens.push({ text: rest });
  return tokens;
}

/** Builds the block tree; `define`s go into the chart. */
function parse(source: string, defines: Map<string, Node[]>): Node[] {
  const root: Node[] = [];
  const stack: { body: Node[]; node?: Node; kind: 'root' | 'if' | 'with' | 'range' | 'define'; name?: string }[] = [{ body: root, kind: 'root' }];
  for (const token of tokenize(source)) {
    const top = stack.at(-1)!;
    if ('text' in token) {
      if (token.text) top.body.push({ kind: 'text', text: token.text });
      continue;
    }
    const action = token.action;
    if (action.startsWith('/*')) continue;
    const keyword = /^(if|else if|else|with|range|end|define)\b\s*(.*)$/s.exec(action);
    if (!keyword) {
      top.body.push({ kind: 'action', expr: action });
      continue;
    }
    const [, word, rest] = keyword;
    if (word === 'if') {
      const node: Node = { kind: 'if', branches: [{ cond: rest!, body: [] }] };
      top.body.push(node);
      stack.push({ body: node.branches[0]!.body, node, kind: 'if' });
    } else if (word === 'else if' || word === 'else') {
      if (top.kind !== 'if' || top.node?.kind !== 'if') throw new Error(`"${action}" outside an if`);
      const branch = { cond: word === 'else' ? null : rest!, body: [] as Node[] };
      top.node.branches.push(branch);
      top.body = branch.body;
    } else if (word === 'with') {
      const node: Node = { kind: 'with', expr: rest!, body: [] };
      top.body.push(node);
      stack.push({ body: node.body, node, kind: 'with' });
    } else if (word === 'range') {
      // Only the form the chart uses: range $var := pipeline
      const binding = /^\$(\w+) := (.+)$/s.exec(rest!) ?? fail(`range needs "$var := …": ${action}`);
      const node: Node = { kind: 'range', variable: binding[1]!, expr: binding[2]!, body: [] };
      top.body.push(node);
      stack.push({ body: node.body, node, kind: 'range' });
    } else if (word === 'define') {
      stack.push({ body: [], kind: 'define', name: JSON.parse(rest!) as string });
    } else {
      const closed = stack.pop()!;
      if (closed.kind === 'root') throw new Error('"end" without a block');
      if (closed.kind === 'define') defines.set(closed.name!, closed.body);
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed ${stack.at(-1)!.kind}`);
  return root;
}

/** Words of a command: string literals, numbers, field paths, identifiers. */
function words(command: string): string[] {
  return command.match(/"(?:[^"\\]|\\.)*"|[^\s"]+/g) ?? [];
}

function field(scope: Scope, word: string): unknown {
  const [start, rest] = word.startsWith('$') ? [scope.root, word.slice(1)] : [scope.dot, word];
  let value: unknown = start;
  for (const part of rest.split('.').filter(Boolean)) value = (value as Record<string, unknown> | undefined)?.[part];
  return value;
}

function literal(scope: Scope, word: string): unknown {
  if (word.startsWith('"')) return JSON.parse(word);
  const variable = /^\$(\w+)$/.exec(word);
  if (variable && scope.vars && variable[1]! in scope.vars) return scope.vars[variable[1]!];
  if (/^-?\d+(\.\d+)?$/.test(word)) return Number(word);
  if (word === 'true' || word === 'false') return word === 'true';
  if (word.startsWith('.') || word.startsWith('$')) return field(scope, word);
  throw new Error(`cannot read "${word}"`);
}

const indent = (spaces: number, text: string) => text.split('\n').map((line) => (line ? ' '.repeat(spaces) + line : line)).join('\n');

function evaluate(expr: string, scope: Scope, chart: Chart): unknown {
  let piped: unknown[] = [];
  for (const command of expr.split(/\|(?=(?:[^"]*"[^"]*")*[^"]*$)/).map((c) => c.trim())) {
    const [head, ...rest] = words(command);
    const args = [...rest.map((word) => literal(scope, word)), ...piped];
    let value: unknown;
    switch (head) {
      case 'include':
        value = render(chart.defines.get(args[0] as string) ?? fail(`no template "${args[0]}"`), { dot: args[1], root: scope.root }, chart);
        break;
      case '.Files.Get':
        value = chart.files(args[0] as string);
        break;
      case 'quote':
        value = JSON.stringify(String(args[0] ?? ''));
        break;
      case 'toYaml':
        value = toYaml(args[0]).trimEnd();
        break;
      case 'nindent':
        value = '\n' + indent(args[0] as number, String(args[1]));
        break;
      case 'indent':
        value = indent(args[0] as number, String(args[1]));
        break;
      case 'add':
        value = (args[0] as number) + (args[1] as number);
        break;
      case 'join': // Sprig's: join "," list
        value = ((args[1] as unknown[]) ?? []).join(args[0] as string);
        break;
      case 'or': // Go's: the first true argument, else the last
        value = args.find(truthy) ?? args.at(-1);
        break;
      case 'mul': // Sprig's, on whole numbers
        value = args.reduce((product: number, n) => product * Math.trunc(Number(n)), 1);
        break;
      case 'int': // Sprig's
        value = Math.trunc(Number(args[0]));
        break;
      case 'until': // Sprig's: 0 … n−1
        value = Array.from({ length: args[0] as number }, (_, i) => i);
        break;
      case 'not': // Go's
        value = !truthy(args[0]);
        break;
      default:
        if (rest.length || piped.length) throw new Error(`unknown function "${head}"`);
        value = literal(scope, head!);
    }
    piped = [value];
  }
  return piped[0];
}

function fail(message: string): never {
  throw new Error(message);
}

/** Go's truth: false, 0, nil and empty strings, lists and maps are false. */
function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value && typeof value === 'object') return Object.keys(value).length > 0;
  return Boolean(value);
}

function render(nodes: Node[], scope: Scope, chart: Chart): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text;
    else if (node.kind === 'action') out += String(evaluate(node.expr, scope, chart) ?? '');
    else if (node.kind === 'if') {
      const branch = node.branches.find((b) => b.cond === null || truthy(evaluate(b.cond, scope, chart)));
      if (branch) out += render(branch.body, scope, chart);
    } else if (node.kind === 'range') {
      for (const item of evaluate(node.expr, scope, chart) as unknown[]) out += render(node.body, { ...scope, vars: { ...scope.vars, [node.variable]: item } }, chart);
    } else {
      const value = evaluate(node.expr, scope, chart);
      if (truthy(value)) out += render(node.body, { dot: value, root: scope.root, vars: scope.vars }, chart);
    }
  }
  return out;
}

function mergeValues(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    const bothObjects = [current, value].every((v) => v && typeof v === 'object' && !Array.isArray(v));
    out[key] = bothObjects ? mergeValues(current as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return out;
}

/** The chart's values as Helm gives them to the templates: values.yaml with `overrides` merged over it. */
export function chartValues(chartDir: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return mergeValues(parseYaml(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>, overrides);
}

/** Each template rendered as text, by file (`_` helpers only define; NOTES.txt is what Helm prints after an install). */
function renderTemplates(chartDir: string, overrides: Record<string, unknown>): { file: string; text: string }[] {
  const chartYaml = parseYaml(readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
  const chart: Chart = { defines: new Map(), files: (name) => readFileSync(path.join(chartDir, name), 'utf8') };
  const templatesDir = path.join(chartDir, 'templates');
  const parsed = readdirSync(templatesDir)
    .sort()
    .map((file) => ({ file, nodes: parse(readFileSync(path.join(templatesDir, file), 'utf8'), chart.defines) }));
  const root = {
    Values: chartValues(chartDir, overrides),
    Chart: { Name: chartYaml.name, Version: chartYaml.version, AppVersion: chartYaml.appVersion },
    Release: { Name: 'clinic', Namespace: 'circle', Service: 'Helm' },
  };
  return parsed.filter(({ file }) => !file.startsWith('_')).map(({ file, nodes }) => ({ file, text: render(nodes, { dot: root, root }, chart) }));
}

/** Every manifest the chart renders with its values.yaml and `overrides`, parsed, by template file. */
export function renderChart(chartDir: string, overrides: Record<string, unknown> = {}): { file: string; manifest: Record<string, unknown> }[] {
  return renderTemplates(chartDir, overrides)
    .filter(({ file }) => file !== 'NOTES.txt')
    .flatMap(({ file, text }) =>
      text
        .split(/^---$/m)
        .filter((doc) => doc.trim())
        .map((doc) => ({ file, manifest: parseYaml(doc) as Record<string, unknown> })),
    );
}

/** The notes Helm prints after an install or upgrade with these values. */
export function renderNotes(chartDir: string, overrides: Record<string, unknown> = {}): string {
  return renderTemplates(chartDir, overrides).find(({ file }) => file === 'NOTES.txt')?.text ?? '';
}
