// Writing safetensors (fixtures, converted caches, tests). Streams tensor by tensor.
import { closeSync, openSync, writeSync } from 'node:fs';
import { dtypeByteSize, safetensorsCode, shapeSize } from '../dtype.ts';
import { tensorBytes } from '../tensor.ts';
import type { Tensor } from '../tensor.ts';

export function encodeSafetensorsHeader(tensors: ReadonlyArray<readonly [string, Pick<Tensor, 'dtype' | 'shape'>]>, metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const [key, t] of tensors) {
    const len = shapeSize(t.shape) * dtypeByteSize(t.dtype);
    header[key] = { dtype: safetensorsCode(t.dtype), shape: t.shape, data_offsets: [offset, offset + len] };
    offset += len;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  // Pad with spaces to 8 bytes so data starts aligned, as the reference writer does.
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([prefix, json]);
}

export function writeSafetensors(path: string, tensors: Record<string, Tensor> | ReadonlyArray<readonly [string, Tensor]>, metadata?: Record<string, string>): void {
  const list = Array.isArray(tensors) ? tensors as ReadonlyArray<readonly [string, Tensor]> : Object.entries(tensors);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, encodeSafetensorsHeader(list, metadata));
    for (const [, t] of list) writeSync(fd, tensorBytes(t));
  } finally {
    closeSync(fd);
  }
}
