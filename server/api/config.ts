// Settings the HTTP and WebSocket layers read; `graph serve` builds them from its flags.

export interface ApiConfig {
  /** Every request body (JSON or upload) larger than this is refused with 413. */
  maxUploadBytes: number;
  /** JSON bodies are parsed in memory, so they get a tighter cap. */
  maxJsonBytes: number;
  /** When set, every request and socket must carry it (Bearer header or `token` parameter). */
  token?: string;
  /** `--enable-cors-header`: permissive CORS for this origin instead of the same-origin check. */
  corsOrigin?: string;
  /** `--multi-user`: the `Comfy-User` header picks the user folder (else everyone is "default"). */
  multiUser: boolean;
  /** `--front-end-root`: the folder of another frontend build served instead of the built-in editor. */
  frontEndRoot?: string;
  /** Command line shown (redacted) by /system_stats. */
  argv: readonly string[];
}

export const MEGABYTE = 1024 * 1024;
export const DEFAULT_MAX_UPLOAD_MB = 100;
const MAX_JSON_BYTES = 20 * MEGABYTE;

export function apiConfig(options: Partial<Omit<ApiConfig, 'maxJsonBytes'>> & { maxUploadMb?: number } = {}): ApiConfig {
  const maxUploadBytes = options.maxUploadBytes ?? Math.round((options.maxUploadMb ?? DEFAULT_MAX_UPLOAD_MB) * MEGABYTE);
  return {
    maxUploadBytes,
    maxJsonBytes: Math.min(maxUploadBytes, MAX_JSON_BYTES),
    token: options.token,
    corsOrigin: options.corsOrigin,
    multiUser: options.multiUser ?? false,
    frontEndRoot: options.frontEndRoot,
    argv: options.argv ?? [],
  };
}

/** ComfyUI's server feature flags (/features and the WebSocket handshake). */
export function serverFeatures(config: ApiConfig): Record<string, unknown> {
  return { supports_preview_metadata: true, max_upload_size: config.maxUploadBytes };
}
