// Loads the three networks of the driving-video feature extractor.
import type { ProviderChoice } from '../../../server/ml/index.ts';
import { FaceDetector } from './detector.ts';
import type { HeadEmoModels } from './extract.ts';
import { FanEncoder } from './fan-encoder.ts';
import { FaceAligner } from './landmarks.ts';
import { loadOnnxFile } from './onnx-file.ts';
import type { StageTimer } from './timing.ts';

export interface HeadEmoModelFiles {
  readonly faceDetector: string;
  readonly faceLandmarks: string;
  /** pd_fpg.pth */
  readonly pdfgc: string;
  /** Where converted weights of pd_fpg.pth are cached (fp16 checkpoints on the CPU). */
  readonly cacheDir: string;
  /** Provider for the FanEncoder; the two small ONNX models always run on the CPU. */
  readonly provider?: ProviderChoice;
  /** Adds the time of each detector / landmark run and of their warps (bench). */
  readonly timer?: StageTimer;
}

export interface LoadedHeadEmoModels extends HeadEmoModels {
  release(): Promise<void>;
}

export async function loadHeadEmoModels(files: HeadEmoModelFiles): Promise<LoadedHeadEmoModels> {
  const [det, lmk, encoder] = await Promise.all([
    loadOnnxFile(files.faceDetector),
    loadOnnxFile(files.faceLandmarks),
    FanEncoder.load(files.pdfgc, { cacheDir: files.cacheDir, provider: files.provider }),
  ]);
  return {
    detector: new FaceDetector(det, files.timer),
    aligner: new FaceAligner(lmk, files.timer),
    encoder,
    async release() { await Promise.all([det.release(), lmk.release(), encoder.release()]); },
  };
}
