// The text replacements ComfyUI's frontend applies when it queues a workflow (its "Comfy.
// SaveImageExtraOutput" extension): the `filename_prefix` widget of the save nodes is serialised
// with `%date:FORMAT%` and `%Node name.widget name%` expanded. Only the frontend does this; the
// backend expands its own `%year%`-style fields later (server/storage/folders.ts).

/** The save nodes whose `filename_prefix` the frontend expands (its own list). */
export const FRONTEND_SAVE_TYPES = new Set([
  'SaveImage',
  'SaveImageAdvanced',
  'SaveSVGNode',
  'SaveVideo',
  'SaveAnimatedWEBP',
  'SaveWEBM',
  'SaveAudio',
  'SaveAudioMP3',
  'SaveAudioOpus',
  'SaveAudioAdvanced',
  'SaveGLB',
  'SaveAnimatedPNG',
  'CLIPSave',
  'VAESave',
  'ModelSave',
  'LoraSave',
  'SaveLatent',
]);

/** A node another node's text can refer to, as the frontend sees it. */
export interface ReplacementNode {
  /** What the editor shows as its title (the saved title, else the class's display name). */
  title: string;
  /** `properties["Node name for S&R"]` as the editor holds it. */
  searchName: unknown;
  /** The current value of its widget `name`; `undefined` when it has no such widget. */
  widget(name: string): { value: unknown } | undefined;
}

/**
 * `%date:FORMAT%` takes the local time: `yyyy` the year, `yy` its last two digits, and `d`/`dd`,
 * `M`/`MM`, `h`/`hh` (24-hour), `m`/`mm`, `s`/`ss` day, month, hour, minute and second, the double
 * form zero-padded to two digits. Other text (`yyy` included) is kept.
 */
export function formatDate(format: string, date: Date): string {
  return format.replace(/dd?|MM?|hh?|mm?|ss?|yyy?y?/g, (token) => {
    if (token === 'yy') return String(date.getFullYear()).substring(2);
    if (token === 'yyyy') return String(date.getFullYear());
    const part = datePart(token[0]!, date);
    return part === undefined ? token : String(part).padStart(token.length, '0');
  });
}

function datePart(letter: string, date: Date): number | undefined {
  switch (letter) {
    case 'd':
      return date.getDate();
    case 'M':
      return date.getMonth() + 1;
    case 'h':
      return date.getHours();
    case 'm':
      return date.getMinutes();
    case 's':
      return date.getSeconds();
    default:
      return undefined;
  }
}

/**
 * Expands every `%...%` in `value` as the frontend does: `%date:FORMAT%`, and `%A.B%` (exactly one
 * dot) with the value of widget B of the first node whose "Node name for S&R" is A, or failing
 * that whose title is A; path-unsafe characters in that value become `_`. Anything that matches
 * nothing stays as it is, and `warn` says why (the frontend logs it to the console).
 */
export function applyTextReplacements(value: string, nodes: readonly ReplacementNode[], date: Date, warn: (message: string) => void = () => {}): string {
  return value.replace(/%([^%]+)%/g, (match, text: string) => {
    const split = text.split('.');
    if (split.length !== 2) {
      if (split[0]!.startsWith('date:')) return formatDate(split[0]!.substring(5), date);
      // %width% and %height% are the backend's; anything else is not a replacement.
      if (text !== 'width' && text !== 'height' && !/^(year|month|day|hour|minute|second)$/.test(text)) warn(`"${match}" is not a replacement pattern; left as is`);
      return match;
    }
    const [nodeName, widgetName] = split as [string, string];
    let found = nodes.filter((n) => n.searchName === nodeName);
    if (found.length === 0) found = nodes.filter((n) => n.title === nodeName);
    if (found.length === 0) {
      warn(`"${match}": no node is named "${nodeName}" (title or "Node name for S&R"); left as is`);
      return match;
    }
    if (found.length > 1) warn(`"${match}": ${found.length} nodes are named "${nodeName}"; the first one is used`);
    const widget = found[0]!.widget(widgetName);
    if (!widget) {
      warn(`"${match}": node "${nodeName}" has no widget "${widgetName}"; left as is`);
      return match;
    }
    return String(widget.value ?? '').replace(/[/?<>\\:*|"\x00-\x1F\x7F]/g, '_');
  });
}

/**
 * The frontend's dynamic prompts, applied at queue time to text widgets whose input asks for them
 * (`dynamicPrompts: true`, e.g. CLIPTextEncode): `//` line and `/* *\/` block comments are removed,
 * each `{a|b|...}` (nested allowed) becomes one of its options picked by `random` (as
 * Math.random), and `\{`, `\}`, `\|` stand for the characters themselves.
 */
export function processDynamicPrompt(text: string, random: () => number): string {
  const input = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*/g, '');
  let at = 0;
  // A backslash keeps the character after it as it is (and itself, until the final unescaping).
  const escaped = () => `\\${input[at++] ?? ''}`;
  const choose = (): string => {
    const options: string[] = [];
    let current = '';
    let depth = 0;
    while (at < input.length) {
      const char = input[at++]!;
      if (char === '\\') {
        current += escaped();
        continue;
      }
      if (char === '{') depth++;
      else if (char === '}') {
        if (depth === 0) break;
        depth--;
      } else if (char === '|' && depth === 0) {
        options.push(current);
        current = '';
        continue;
      }
      current += char;
    }
    options.push(current);
    const picked = options[Math.min(options.length - 1, Math.floor(random() * options.length))]!;
    return processDynamicPrompt(picked, random);
  };
  let result = '';
  while (at < input.length) {
    const char = input[at++]!;
    if (char === '\\') result += escaped();
    else if (char === '{') result += choose();
    else result += char;
  }
  return result.replace(/\\([{}|])/g, '$1');
}
