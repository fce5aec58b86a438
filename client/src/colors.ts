// Socket and link colours by data type: ComfyUI's palette for the common types, a stable hue from
// the name for any other type so that two sockets of one type always look alike.
const KNOWN: Record<string, string> = {
  CLIP: '#FFD500',
  CLIP_VISION: '#A8DADC',
  CLIP_VISION_OUTPUT: '#ad7452',
  CONDITIONING: '#FFA931',
  CONTROL_NET: '#6EE7B7',
  IMAGE: '#64B5F6',
  LATENT: '#FF9CF9',
  MASK: '#81C784',
  MODEL: '#B39DDB',
  STYLE_MODEL: '#C2FFAE',
  VAE: '#FF6E6E',
  NOISE: '#B0B0B0',
  GUIDER: '#66FFFF',
  SAMPLER: '#ECB4B4',
  SIGMAS: '#CDFFCD',
  TAESD: '#DCC274',
  AUDIO: '#E6A23C',
  VIDEO: '#4DB6AC',
  INT: '#7FB3D5',
  FLOAT: '#AED581',
  STRING: '#E0E0A0',
  BOOLEAN: '#D59BCC',
  COMBO: '#C0C0C0',
};

export function typeColor(type: string): string {
  const known = KNOWN[type];
  if (known) return known;
  let hash = 0;
  for (const char of type) hash = (hash * 31 + char.charCodeAt(0)) | 0;
  return `hsl(${Math.abs(hash) % 360}, 55%, 62%)`;
}
