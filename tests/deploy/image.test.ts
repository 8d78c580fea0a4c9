import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CJK_FONT_CANDIDATES } from '../../src/coordinator/statement-export.js';
import { REPO_ROOT } from '../helpers/child-server.js';

/**
 * What the Docker image is made of, read from the Dockerfile (no Docker here): a current LTS Node
 * pinned by digest, only the one CJK font the PDFs embed, operator commands that run without tsx.
 */

const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const dockerignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim());
const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

describe('the Docker image', () => {
  it('runs on Node 22 or 24 (LTS), every stage on the same base pinned by its digest', () => {
    const base = /^ARG NODE_IMAGE=node:(\d+)\.\d+\.\d+-slim@sha256:[0-9a-f]{64}$/m.exec(dockerfile);
    expect(base, 'ARG NODE_IMAGE=node:<version>-slim@sha256:<digest>').not.toBeNull();
    expect(['22', '24']).toContain(base![1]);
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's FROM says ${NODE_IMAGE} literally
    for (const from of froms) expect(from).toBe('${NODE_IMAGE}');
  });

  it('ships the one font file the statement PDFs use, not the whole fonts-noto-cjk package', () => {
    const font = CJK_FONT_CANDIDATES[0]!.path;
    expect(dockerfile).toContain(`COPY --from=font /tmp/font/root${font} ${font}`);
    expect(dockerfile).not.toMatch(/apt-get install[^\n]*fonts-noto-cjk/);
  });

  it('runs the compiled server and keeps the build context free of local data, secrets and build output', () => {
    expect(dockerfile).toMatch(/^CMD \["node", "--max-old-space-size=512", "dist\/src\/server\.js"\]$/m);
    for (const entry of ['node_modules', 'dist', 'data', '.env', '*.db', '.git']) expect(dockerignore).toContain(entry);
  });

  it('has operator commands (migrate, backup, ledger check, seed) that run compiled, without tsx', () => {
    for (const name of ['start', 'migrate', 'backup', 'ledger:check', 'seed']) {
      expect(scripts[name], name).toMatch(/^node scripts\/ensure-build\.mjs && node (--max-old-space-size=512 )?dist\//);
      expect(scripts[name]).not.toContain('tsx');
    }
    expect(dockerfile).toContain('COPY scripts/ensure-build.mjs ./scripts/ensure-build.mjs');
    expect(scripts.dev).toBe('tsx watch src/server.ts');
  });
});
