// Modal questions: a name to save under, a choice among buttons (save, discard, cancel...).
// One dialog element for the page; Enter takes the primary answer, Escape the cancel one.
import { html, LitElement, nothing } from 'lit';

export interface Choice {
  id: string;
  label: string;
  primary?: boolean;
  danger?: boolean;
}

interface Question {
  title: string;
  message: string;
  /** A text field with this initial value (askText); none for askChoice. */
  value?: string;
  choices: Choice[];
  /** The answer of Escape and of a click beside the dialog. */
  cancel: string;
  resolve: (answer: { choice: string; value: string }) => void;
}

export class AskDialog extends LitElement {
  static override properties = { question: { state: true } };
  declare question: Question | undefined;

  constructor() {
    super();
    this.question = undefined;
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  ask(question: Omit<Question, 'resolve'>): Promise<{ choice: string; value: string }> {
    this.answer(this.question?.cancel ?? '');
    return new Promise((resolve) => {
      this.question = { ...question, resolve };
      void this.updateComplete.then(() => {
        const field = this.querySelector<HTMLInputElement>('.fg-ask-value');
        if (field) {
          field.focus();
          field.select();
        } else this.querySelector<HTMLButtonElement>('.fg-ask-buttons .fg-primary')?.focus();
      });
    });
  }

  private answer(choice: string): void {
    const question = this.question;
    if (!question) return;
    const value = this.querySelector<HTMLInputElement>('.fg-ask-value')?.value ?? '';
    this.question = undefined;
    question.resolve({ choice, value });
  }

  private onKey(event: KeyboardEvent): void {
    const question = this.question;
    if (!question) return;
    // The dialog's keys: not the page's shortcuts.
    event.stopPropagation();
    if (event.key === 'Escape') {
      event.preventDefault();
      this.answer(question.cancel);
    } else if (event.key === 'Enter' && event.target instanceof HTMLInputElement) {
      event.preventDefault();
      this.answer(question.choices.find((c) => c.primary)?.id ?? question.cancel);
    }
  }

  override render() {
    const question = this.question;
    if (!question) return nothing;
    return html`<div class="fg-ask-backdrop" @pointerdown=${(event: PointerEvent) => event.target === event.currentTarget && this.answer(question.cancel)}>
      <div class="fg-ask" role="dialog" aria-modal="true" aria-label=${question.title} @keydown=${(event: KeyboardEvent) => this.onKey(event)}>
        <strong class="fg-ask-title">${question.title}</strong>
        <p class="fg-ask-message">${question.message}</p>
        ${question.value !== undefined ? html`<input class="fg-ask-value fg-input" type="text" .value=${question.value} spellcheck="false" />` : nothing}
        <div class="fg-ask-buttons">
          ${question.choices.map(
            (choice) =>
              html`<button data-choice=${choice.id} class=${choice.primary ? 'fg-primary' : choice.danger ? 'fg-danger' : ''} @click=${() => this.answer(choice.id)}>${choice.label}</button>`,
          )}
        </div>
      </div>
    </div>`;
  }
}

customElements.define('fg-ask-dialog', AskDialog);

let dialog: AskDialog | undefined;

function theDialog(): AskDialog {
  if (!dialog) {
    dialog = document.createElement('fg-ask-dialog') as AskDialog;
    document.body.append(dialog);
  }
  return dialog;
}

/** A line of text (a file name); undefined when cancelled or left empty. */
export async function askText(title: string, message: string, value: string, confirm = 'Save'): Promise<string | undefined> {
  const answer = await theDialog().ask({ title, message, value, choices: [{ id: 'cancel', label: 'Cancel' }, { id: 'ok', label: confirm, primary: true }], cancel: 'cancel' });
  const text = answer.value.trim();
  return answer.choice === 'ok' && text !== '' ? text : undefined;
}

/** One of the choices' ids; `cancel` when dismissed. */
export async function askChoice(title: string, message: string, choices: Choice[], cancel: string): Promise<string> {
  return (await theDialog().ask({ title, message, choices, cancel })).choice;
}
