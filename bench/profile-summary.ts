// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function, and time per source file.
// npx tsx bench/profile-summary.ts <file.cpuprofile | directory> [top=25]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  ms: number;
  percent: number;
  what: string;
}

function shortUrl(url: string): string {
  if (!url) return '(native)';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm + 'node_modules/'.length);
  const src = path.search(/\/(src|bench|dist)\//);
  return src >= 0 ? path.slice(src + 1) : path;
}

/** Self time by function and by file (package for dependencies), largest first. */
export function summariseProfile(file: string, top = 25): { totalMs: number; functions: ProfileLine[]; files: ProfileLine[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') continue;
    total += us;
    const where = shortUrl(url);
    const fn = `${functionName || '(anonymous)'}  ${where}${url ? `:${lineNumber + 1}` : ''}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
    const pkg = where.startsWith('@')
      ? where.split('/').slice(0, 2).join('/')
      : where.includes('/') && !/^(src|bench|dist)\//.test(where)
        ? where.split('/')[0]!
        : where;
    const fileKey = functionName === '(garbage collector)' ? '(garbage collector)' : pkg;
    files.set(fileKey, (files.get(fileKey) ?? 0) + us);
  }
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([what, us]) => ({ ms: Math.round(us / 1000), percent: Math.round((1000 * us) / Math.max(1, total)) / 10, what }));
  return { totalMs: Math.round(total / 1000), functions: rank(functions), files: rank(files) };
}

export function printProfile(file: string, top = 25): string {
  const s = summariseProfile(file, top);
  const fmt = (l: ProfileLine) => `${String(l.ms).padStart(7)} ms ${l.percent.toFixed(1).padStart(5)}%  ${l.what}`;
  return [
    `${file}: ${s.totalMs} ms of non-idle samples`,
    'by file / package (self time):',
    ...s.files.map(fmt),
    'by function (self time):',
    ...s.functions.map(fmt),
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const target = process.argv[2];
  if (!target) {
    console.error('usage: tsx bench/profile-summary.ts <file.cpuprofile | directory> [top]');
    process.exit(2);
  }
  const top = Number(process.argv[3] ?? 25);
  const files = statSync(target).isDirectory()
    ? readdirSync(target)
        .filter((n) => n.endsWith('.cpuprofile'))
        .map((n) => join(target, n))
    : [target];
  for (const f of files) console.log(printProfile(f, top));
}
