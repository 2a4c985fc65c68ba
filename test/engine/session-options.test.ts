import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type SessionConfig, sessionOptionsFor, usableBackendNames } from '../../src/engine/session-options.js';

const base: SessionConfig = { device: 'cpu', cudaDeviceId: 0, intraOpThreads: 2, memArena: false, memPattern: true, prepacking: true };

test('cpu: CPU provider, spinning off, threads/arena/prepacking from the config', () => {
  const choice = sessionOptionsFor(base, ['cpu', 'cuda']);
  assert.equal(choice.device, 'cpu');
  assert.equal(choice.fallback, null);
  assert.deepEqual(choice.notes, []);
  assert.deepEqual(choice.options.executionProviders, ['cpu']);
  assert.equal(choice.options.intraOpNumThreads, 2);
  assert.equal(choice.options.interOpNumThreads, 1);
  assert.equal(choice.options.enableCpuMemArena, false);
  assert.equal(choice.options.graphOptimizationLevel, 'all');
  assert.deepEqual(choice.options.extra, { session: { intra_op: { allow_spinning: '0' }, disable_prepacking: '0' } });
  const noPrepack = sessionOptionsFor({ ...base, prepacking: false, memArena: true }, ['cpu']);
  assert.equal((noPrepack.options.extra as { session: { disable_prepacking: string } }).session.disable_prepacking, '1');
  assert.equal(noPrepack.options.enableCpuMemArena, true);
});

test('cuda with the provider: CUDA first then CPU, device id, CPU fallback options kept', () => {
  const choice = sessionOptionsFor({ ...base, device: 'cuda', cudaDeviceId: 1 }, ['cpu', 'cuda']);
  assert.equal(choice.device, 'cuda');
  assert.deepEqual(choice.options.executionProviders, [{ name: 'cuda', deviceId: 1 }, 'cpu']);
  assert.deepEqual(choice.fallback?.executionProviders, ['cpu']);
  assert.match(choice.notes.join(), /CUDA execution provider on device 1/);
  // Same thread/spinning settings for the CPU part of a CUDA session.
  assert.equal(choice.options.intraOpNumThreads, 2);
});

test('cuda without the provider falls back to CPU with a note naming the reason', () => {
  const choice = sessionOptionsFor({ ...base, device: 'cuda' }, ['cpu', 'webgpu']);
  assert.equal(choice.device, 'cpu');
  assert.deepEqual(choice.options.executionProviders, ['cpu']);
  assert.match(choice.notes[0]!, /device cuda: the CUDA execution provider is not available \(usable backends: cpu, webgpu\); running on CPU/);
});

test('auto picks CUDA when usable, CPU otherwise', () => {
  assert.equal(sessionOptionsFor({ ...base, device: 'auto' }, ['cpu', 'cuda']).device, 'cuda');
  const cpu = sessionOptionsFor({ ...base, device: 'auto' }, ['cpu']);
  assert.equal(cpu.device, 'cpu');
  assert.match(cpu.notes[0]!, /^device auto: the CUDA execution provider is not available/);
});

test('bad thread count is refused', () => {
  assert.throws(() => sessionOptionsFor({ ...base, intraOpThreads: 0 }, ['cpu']), /intraOpThreads must be an integer ≥ 1, got 0/);
});

test('a listed but not installed backend (ORT lists cuda with bundled: false) is not usable', () => {
  const listed = [
    { name: 'cpu', bundled: true, installed: true },
    { name: 'webgpu', bundled: true, installed: true },
    { name: 'cuda', bundled: false, installed: false },
    { name: 'tensorrt', bundled: false, installed: false },
  ];
  assert.deepEqual(usableBackendNames(listed), ['cpu', 'webgpu']);
  assert.deepEqual(usableBackendNames([...listed.slice(0, 2), { name: 'cuda', bundled: false, installed: true }]), ['cpu', 'webgpu', 'cuda']);
});
