// Sessions over the ONNX files shipped with FlashPortrait (face_det.onnx, face_landmark.onnx).
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createSession } from '../../../server/ml/index.ts';
import type { ModelSession, SessionConfig } from '../../../server/ml/index.ts';

export async function loadOnnxFile(path: string, config: SessionConfig = {}): Promise<ModelSession> {
  return createSession({ bytes: readFileSync(path), externalDataFolder: dirname(path) }, { provider: 'cpu', log: () => {}, ...config });
}
