import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOADER = join(__dirname, 'dotenv.sh');

/** The environment a script sees after `load_dotenv FILE`, started with `given` as its environment. */
function loaded(text: string, given: Record<string, string> = {}): Record<string, string> {
  const file = join(mkdtempSync(join(tmpdir(), 'clarion-dotenv-')), '.env');
  writeFileSync(file, text);
  const out = execFileSync('bash', ['-euo', 'pipefail', '-c', `. "${LOADER}"; load_dotenv "$1"; env -0`, 'bash', file], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...given },
    encoding: 'utf8',
  });
  return Object.fromEntries(out.split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

describe('load_dotenv (npm start reading .env)', () => {
  it('exports NAME=value lines literally and skips comments', () => {
    const env = loaded('# HTTP_PORT=9999\nHTTP_PORT=3100\nCORS_ORIGINS=*\nGREETING="two words"\nRAW=$HOME/x\n\nnot a variable\nexport LOG_LEVEL=debug\r\n');
    expect(env).toMatchObject({ HTTP_PORT: '3100', CORS_ORIGINS: '*', GREETING: 'two words', RAW: '$HOME/x', LOG_LEVEL: 'debug' });
    expect(Object.keys(env)).not.toContain('not');
  });

  it('lets a variable already in the environment win over .env', () => {
    expect(loaded('HTTP_PORT=3100\nOPS_HOST=127.0.0.1\n', { HTTP_PORT: '3200' })).toMatchObject({ HTTP_PORT: '3200', OPS_HOST: '127.0.0.1' });
  });

  it('changes nothing for an unedited copy of .env.example', () => {
    const example = readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8');
    expect(Object.keys(loaded(example)).sort()).toEqual(Object.keys(loaded('')).sort());
  });

  it('reads a last line without a newline', () => {
    expect(loaded('A=1\nB=2')).toMatchObject({ A: '1', B: '2' });
  });
});
