// The compare view of a portrait animation run: the driving video, the reference image and the
// output side by side. Both videos follow one frame index: one scrubber, a frame counter, frame
// steps (buttons, arrow keys) and playback that keeps frame N of the output beside frame N of
// the driving video, whatever the two frame rates are.
import { html, LitElement, nothing } from 'lit';
import type { FileRef } from '../../types/api.ts';
import type { ServerApi } from './api.ts';
import type { CompareSources } from './run-info.ts';

/** GET /flashgraph/video_info's answer. */
interface VideoInfo {
  fps: number;
  frames: number;
  width: number;
  height: number;
}

type Track = 'driving' | 'output';
const TRACKS: Track[] = ['driving', 'output'];

/** The time that shows frame `index` of a video: the middle of the frame, away from both edges. */
export function frameTime(index: number, fps: number): number {
  return (index + 0.5) / fps;
}

/** The frame a time falls in. */
export function frameAt(seconds: number, fps: number): number {
  return Math.max(0, Math.floor(seconds * fps + 1e-6));
}

export class CompareView extends LitElement {
  static override properties = { sources: { state: true }, frame: { state: true }, playing: { state: true }, infos: { state: true }, problem: { state: true } };
  declare sources: CompareSources | undefined;
  declare frame: number;
  declare playing: boolean;
  declare infos: Partial<Record<Track, VideoInfo>>;
  declare problem: string | undefined;
  heading = '';
  private api: ServerApi | undefined;
  private readonly onKey = (event: KeyboardEvent) => this.handleKey(event);
  /** Aborted when playback stops: removes that playback's listeners. */
  private playback: AbortController | undefined;

  constructor() {
    super();
    this.sources = undefined;
    this.frame = 0;
    this.playing = false;
    this.infos = {};
    this.problem = undefined;
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  async open(api: ServerApi, sources: CompareSources, title: string): Promise<void> {
    this.api = api;
    this.sources = sources;
    this.heading = title;
    this.frame = 0;
    this.playing = false;
    this.infos = {};
    this.problem = undefined;
    window.addEventListener('keydown', this.onKey, true);
    await this.updateComplete;
    this.querySelector<HTMLElement>('.fg-compare')?.focus();
    try {
      const [driving, output] = await Promise.all([this.videoInfo(sources.driving), this.videoInfo(sources.output)]);
      this.infos = { driving, output };
      await this.updateComplete;
      this.seek(0);
    } catch (error) {
      this.problem = (error as Error).message;
    }
  }

  close(): void {
    this.pause();
    window.removeEventListener('keydown', this.onKey, true);
    this.sources = undefined;
  }

  private videoInfo(file: FileRef): Promise<VideoInfo> {
    const params = new URLSearchParams({ filename: file.filename, subfolder: file.subfolder ?? '', type: file.type ?? 'output' });
    return this.api!.fetchRoute(`/flashgraph/video_info?${params}`) as Promise<VideoInfo>;
  }

  /** Frames on the scrubber: the longer video's; the shorter one holds its last frame. */
  get totalFrames(): number {
    return Math.max(1, ...TRACKS.map((track) => this.infos[track]?.frames ?? 0));
  }

  private video(track: Track): HTMLVideoElement | null {
    return this.querySelector<HTMLVideoElement>(`video[data-track="${track}"]`);
  }

  /** The frame of a video that stands beside frame `index` of the scrubber. */
  private trackFrame(track: Track, index: number): number {
    const frames = this.infos[track]?.frames ?? 1;
    return Math.min(index, frames - 1);
  }

  /** Shows frame `index` in both videos. */
  seek(index: number): void {
    this.frame = Math.max(0, Math.min(this.totalFrames - 1, Math.round(index)));
    for (const track of TRACKS) {
      const element = this.video(track);
      const info = this.infos[track];
      if (element && info) element.currentTime = frameTime(this.trackFrame(track, this.frame), info.fps);
    }
  }

  step(delta: number): void {
    this.pause();
    this.seek(this.frame + delta);
  }

  pause(): void {
    if (!this.playing) return;
    this.playing = false;
    this.playback?.abort();
    for (const track of TRACKS) this.video(track)?.pause();
    // Both stop on the frame the scrubber shows.
    this.seek(this.frame);
  }

  /**
   * Plays both videos at one frame rate: the longer one leads at its own rate, the other follows
   * at the rate that gives it as many frames per second of wall time (its media time runs
   * leader fps / follower fps as fast). On every frame the leader presents, the follower is put
   * back on the leader's frame if it drifted by several frames (a busy machine); smaller drifts are
   * left alone, as each seek stalls the follower for a moment.
   */
  async play(): Promise<void> {
    const { driving, output } = this.infos;
    if (this.playing || !driving || !output) return;
    const leadTrack: Track = output.frames >= driving.frames ? 'output' : 'driving';
    const followTrack: Track = leadTrack === 'output' ? 'driving' : 'output';
    const lead = this.video(leadTrack)!;
    const follow = this.video(followTrack)!;
    const leadInfo = this.infos[leadTrack]!;
    const followInfo = this.infos[followTrack]!;
    const followRate = leadInfo.fps / followInfo.fps;
    if (this.frame >= this.totalFrames - 1) this.seek(0);
    lead.playbackRate = 1;
    follow.playbackRate = followRate;
    this.playing = true;
    this.playback = new AbortController();
    const tick = () => {
      if (!this.playing) return;
      // Where the follower should be: the same fraction of the same frame.
      const position = lead.currentTime * leadInfo.fps;
      this.frame = Math.min(this.totalFrames - 1, Math.floor(position + 1e-6));
      const drift = (Math.min(position, followInfo.frames - 0.5) / followInfo.fps - follow.currentTime) * followInfo.fps;
      if (!follow.ended && !follow.seeking && Math.abs(drift) > 3) follow.currentTime = position / followInfo.fps;
      onNextFrame(lead, tick);
    };
    // At the end both stay on the last frame (an ended video's clock is past it).
    lead.addEventListener(
      'ended',
      () => {
        this.playing = false;
        follow.pause();
        this.seek(this.totalFrames - 1);
      },
      { once: true, signal: this.playback.signal },
    );
    try {
      await Promise.all([lead.play(), follow.play()]);
    } catch (error) {
      this.playing = false;
      this.problem = `Playback failed: ${(error as Error).message}`;
      return;
    }
    onNextFrame(lead, tick);
  }

  private handleKey(event: KeyboardEvent): void {
    if (!this.sources) return;
    const keys: Record<string, () => void> = {
      ArrowLeft: () => this.step(-1),
      ArrowRight: () => this.step(1),
      ' ': () => (this.playing ? this.pause() : void this.play()),
      Escape: () => this.close(),
    };
    const action = keys[event.key];
    if (!action) return;
    // The view's keys: not the canvas's, nor the scrubber's own arrow handling.
    event.preventDefault();
    event.stopPropagation();
    action();
  }

  private caption(track: Track, label: string, file: FileRef) {
    const info = this.infos[track];
    return html`<figcaption>
      <strong>${label}</strong> <span class="fg-muted">${file.filename}</span>
      ${info
        ? html`<span class="fg-compare-track-frame" data-track=${track}>frame ${this.trackFrame(track, this.frame) + 1}/${info.frames} · ${round(info.fps)} fps</span>`
        : nothing}
    </figcaption>`;
  }

  override render() {
    const sources = this.sources;
    if (!sources || !this.api) return nothing;
    const url = (file: FileRef) => this.api!.viewUrl(file);
    const total = this.totalFrames;
    return html`<div class="fg-compare-backdrop" @pointerdown=${(event: PointerEvent) => event.target === event.currentTarget && this.close()}>
      <div class="fg-compare" role="dialog" aria-label="Compare view" tabindex="-1">
        <header class="fg-compare-head">
          <strong>Compare</strong> <span class="fg-muted">${this.heading}</span>
          <span class="fg-spacer"></span>
          <span class="fg-muted">← → step · space play · Esc close</span>
          <button class="fg-compare-close" title="Close (Esc)" @click=${() => this.close()}>×</button>
        </header>
        ${this.problem ? html`<p class="fg-compare-problem">${this.problem}</p>` : nothing}
        <div class="fg-compare-panes">
          <figure>
            ${this.caption('driving', 'Driving video', sources.driving)}
            <video data-track="driving" src=${url(sources.driving)} muted playsinline preload="auto"></video>
          </figure>
          <figure>
            <figcaption><strong>Reference image</strong> <span class="fg-muted">${sources.reference.filename}</span></figcaption>
            <img data-track="reference" src=${url(sources.reference)} alt="reference image" />
          </figure>
          <figure>
            ${this.caption('output', 'Output', sources.output)}
            <video data-track="output" src=${url(sources.output)} muted playsinline preload="auto"></video>
          </figure>
        </div>
        <footer class="fg-compare-controls">
          <button data-action="step-back" title="Previous frame (←)" @click=${() => this.step(-1)}>◀❘</button>
          <button data-action="play" title="Play / pause (space)" @click=${() => (this.playing ? this.pause() : void this.play())}>${this.playing ? '⏸' : '▶'}</button>
          <button data-action="step-forward" title="Next frame (→)" @click=${() => this.step(1)}>❘▶</button>
          <input
            class="fg-compare-scrubber"
            type="range"
            min="0"
            max=${total - 1}
            step="1"
            .value=${String(this.frame)}
            @input=${(event: Event) => {
              this.pause();
              this.seek(Number((event.target as HTMLInputElement).value));
            }}
          />
          <span class="fg-frame-counter" data-frame=${this.frame}>Frame ${this.frame + 1} / ${total}</span>
        </footer>
      </div>
    </div>`;
  }
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** Calls back once the video presents its next frame (once per display frame where that is unknown). */
function onNextFrame(video: HTMLVideoElement, callback: () => void): void {
  if ('requestVideoFrameCallback' in video) video.requestVideoFrameCallback(() => callback());
  else requestAnimationFrame(() => callback());
}

customElements.define('fg-compare-view', CompareView);

let view: CompareView | undefined;

/** Opens the compare view (one for the page) on a run's media. */
export function openCompareView(api: ServerApi, sources: CompareSources, title: string): CompareView {
  if (!view) {
    view = document.createElement('fg-compare-view') as CompareView;
    document.body.append(view);
  }
  void view.open(api, sources, title);
  return view;
}
