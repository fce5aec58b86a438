// Notices close by themselves after a while unless they are errors (those stay until closed, or
// until New clears them); hovering a notice keeps it open.
import type { Editor } from './editor.ts';
import type { Notice } from './notice.ts';

export function autoCloseNotices(editor: Editor, seconds: () => number): void {
  const timers = new Map<Notice, ReturnType<typeof setTimeout>>();
  const schedule = (notice: Notice) => {
    timers.set(
      notice,
      setTimeout(() => {
        timers.delete(notice);
        if (hovered(notice)) schedule(notice);
        else if (editor.notices.includes(notice)) editor.dismissNotice(notice);
      }, seconds() * 1000),
    );
  };
  const hovered = (notice: Notice) => document.querySelector(`.fg-notice[data-notice="${editor.notices.indexOf(notice)}"]:hover`) !== null;
  editor.addEventListener('change', () => {
    for (const notice of editor.notices) if (notice.kind !== 'error' && !timers.has(notice)) schedule(notice);
    for (const [notice, timer] of timers) {
      if (editor.notices.includes(notice)) continue;
      clearTimeout(timer);
      timers.delete(notice);
    }
  });
}
