#!/usr/bin/env node
// Runs after `npm install` / `npm ci` (root postinstall). argon2 ships prebuilt binaries, but its linux-x64 build
// crashed (SIGSEGV) on the reference Debian 12 machine. Load it in a child process; if it cannot hash, compile it
// from source (g++, make and python3 are on the build machines and in the Dockerfile's dependency stage).
import { spawnSync } from 'node:child_process';

const probe = () =>
  spawnSync(process.execPath, ['-e', "require('argon2').hash('probe').then(() => process.exit(0), () => process.exit(3))"], { stdio: 'ignore' }).status === 0;

if (probe()) process.exit(0);
console.log('argon2: the prebuilt binary does not work here; compiling it from source');
const rebuilt = spawnSync('npm', ['rebuild', 'argon2', '--build-from-source', '--foreground-scripts'], { stdio: 'inherit' });
if (rebuilt.status !== 0 || !probe()) {
  console.error('argon2: could not build a working binary (needs g++, make and python3)');
  process.exit(1);
}
console.log('argon2: compiled from source');
