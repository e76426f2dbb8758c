import { resolve } from 'node:path';
import { checkedFiles, findEscapes, scanRepository } from './repository-boundary';

const ROOT = resolve(__dirname, '..', '..');
const SHARED = `..${'/'}shared`;

describe('the repository stands on its own', () => {
  it('reads every source, script and document under apps/, libs/ and tools/', () => {
    const files = checkedFiles(ROOT);
    expect(files).toContain('libs/netflow/src/lib/real-routers.spec.ts');
    expect(files).toContain('tools/dev/test.sh');
    expect(files).toContain('tools/build/build.mjs');
    expect(files.some((file) => file.startsWith('apps/'))).toBe(true);
    expect(files.some((file) => file.includes('node_modules'))).toBe(false);
  });

  it('no file under apps/, libs/ or tools/ names the shared folder or a path above the repository root', () => {
    const escapes = scanRepository(ROOT).map((escape) => `${escape.file}:${escape.line}: ${escape.text} (${escape.reason})`);
    expect(escapes).toEqual([]);
  });

  describe('finds', () => {
    it(`a mention of ${SHARED} in any file`, () => {
      expect(findEscapes(ROOT, 'libs/netflow/README.md', `captures in ${SHARED}/fixtures`)).toHaveLength(1);
      expect(findEscapes(ROOT, 'tools/x.ts', `const p = ['..', '${SHARED.slice(3)}', 'fixtures'];`).map((e) => e.reason)).toEqual([
        expect.stringContaining('a fresh clone does not have'),
      ]);
    });

    it('but not a folder of the repository that is called shared, nor a line that says why it names such a path', () => {
      expect(findEscapes(ROOT, 'apps/clustering/src/query/policy/x.ts', `import { a } from '${SHARED}/query-access';`)).toEqual([]);
      const attack = `const inputs = ['../../../../../../etc/passwd']; // repository-boundary: sent to the API as an attack input`;
      expect(findEscapes(ROOT, 'apps/gateway/e2e/x.ts', attack)).toEqual([]);
      expect(findEscapes(ROOT, 'apps/gateway/e2e/x.ts', `const inputs = ['../../../../../../etc/passwd'];`)).toHaveLength(1);
    });

    it('resolve(__dirname, ...) and join that climb above the root', () => {
      const file = 'libs/netflow/src/lib/x.spec.ts';
      expect(findEscapes(ROOT, file, `resolve(__dirname, '..', '..', '..', '..', '..', 'elsewhere')`)).toHaveLength(1);
      expect(findEscapes(ROOT, file, `path.join(__dirname, '../../../../../elsewhere')`)).toHaveLength(1);
      expect(findEscapes(ROOT, file, `resolve(import.meta.dirname, '../../../../..')`)).toHaveLength(1);
      expect(findEscapes(ROOT, file, `resolve(__dirname, '..', '..', 'fixtures')`)).toEqual([]);
      expect(findEscapes(ROOT, file, `resolve(__dirname, '..', name, '..', '..', '..', '..')`)).toEqual([]);
    });

    it('imports and relative literals that leave the repository, but not those that stay inside', () => {
      const file = 'apps/auth/src/sso/x.ts';
      expect(findEscapes(ROOT, file, `import { a } from '../../../../../outside/a';`)).toHaveLength(1);
      expect(findEscapes(ROOT, file, `const a = require('../../../../../../a');`)).toHaveLength(1);
      expect(findEscapes(ROOT, file, `import { a } from '../../../../tools/testing/a';`)).toEqual([]);
    });

    it('relative runs in shell scripts, taken from the script folder', () => {
      const file = 'tools/dev/x.sh';
      expect(findEscapes(ROOT, file, 'cd "$(dirname "${BASH_SOURCE[0]}")/../../.."')).toHaveLength(1);
      expect(findEscapes(ROOT, file, 'cp ../../../data/x .')).toHaveLength(1);
      expect(findEscapes(ROOT, file, 'cd "$(dirname "${BASH_SOURCE[0]}")/../.."')).toEqual([]);
    });
  });
});
