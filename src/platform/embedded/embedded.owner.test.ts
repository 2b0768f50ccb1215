import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addUser, otherLiveOwner, otherLiveUser, processStartTime, removeOwner, thisProcess, writeOwner } from './embedded.owner.js';

const dir = mkdtempSync(path.join(tmpdir(), 'owner-'));
const file = path.join(dir, 'service.owner');
const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
afterAll(() => other.kill('SIGKILL'));

describe('embedded service owner files', () => {
  it('records this process with its start time and port, and never counts it as another owner', () => {
    writeOwner(file, thisProcess({ port: 4321 }));
    const recorded = JSON.parse(readFileSync(file, 'utf8'));
    expect(recorded).toEqual({ pid: process.pid, started: processStartTime(process.pid), port: 4321 });
    expect(recorded.started).toMatch(/^\d+$/);
    expect(otherLiveOwner(file)).toBeNull();
  });

  it('names another live process that wrote the file', () => {
    const started = processStartTime(other.pid!);
    writeFileSync(file, JSON.stringify({ pid: other.pid, started, port: 4321 }));
    expect(otherLiveOwner(file)).toEqual({ pid: other.pid, started, port: 4321 });
  });

  it('does not take a process that got the owner pid later for the owner', () => {
    writeFileSync(file, JSON.stringify({ pid: other.pid, started: '1' }));
    expect(otherLiveOwner(file)).toBeNull();
  });

  it('answers null for a dead owner, a missing file and a file it cannot read', () => {
    writeFileSync(file, JSON.stringify({ pid: 2 ** 22 + 1, started: '1' }));
    expect(otherLiveOwner(file)).toBeNull();
    expect(otherLiveOwner(path.join(dir, 'none.owner'))).toBeNull();
    writeFileSync(file, `${other.pid} 4321`);
    expect(otherLiveOwner(file)).toBeNull();
  });
});

describe('records of processes using a service they do not own', () => {
  it('names a live user, and removes the records of users that died', () => {
    const owner = path.join(dir, 'used.owner');
    const users = `${owner}.users`;
    mkdirSync(users, { recursive: true });
    writeFileSync(path.join(users, String(2 ** 22 + 1)), JSON.stringify({ pid: 2 ** 22 + 1, started: '1' }));
    expect(otherLiveUser(owner)).toBeNull();
    expect(readdirSync(users)).toEqual([]);
    writeFileSync(path.join(users, String(other.pid)), JSON.stringify({ pid: other.pid, started: processStartTime(other.pid!) }));
    expect(otherLiveUser(owner)).toMatchObject({ pid: other.pid });
    expect(readdirSync(users)).toEqual([String(other.pid)]);
  });
});

describe('a clean stop', () => {
  it('removes the folder of user records once the last user has left, and keeps it while a live user is recorded', () => {
    const owner = path.join(dir, 'stopped.owner');
    const users = `${owner}.users`;
    writeOwner(owner);
    const release = addUser(owner);
    expect(readdirSync(users)).toEqual([String(process.pid)]);
    release();
    removeOwner(owner);
    expect(existsSync(owner)).toBe(false);
    expect(existsSync(users)).toBe(false);

    writeOwner(owner);
    mkdirSync(users, { recursive: true });
    writeFileSync(path.join(users, String(other.pid)), JSON.stringify({ pid: other.pid, started: processStartTime(other.pid!) }));
    removeOwner(owner);
    expect(readdirSync(users)).toEqual([String(other.pid)]);
    // a user arriving after the folder was removed makes it again
    const again = addUser(path.join(dir, 'fresh.owner'));
    expect(readdirSync(`${path.join(dir, 'fresh.owner')}.users`)).toEqual([String(process.pid)]);
    again();
  });
});
