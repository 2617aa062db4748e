// Text from storage shown to a person (a terminal, the dashboard) with every
// character that could hide or reorder what they see, or drive their
// terminal, written out as a visible \uXXXX escape (issue 16, findings 4
// and 10). Paths stored before the path rule refused these characters, and
// any agent-written artifact text, may still hold them.
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g;

const escape = (ch: string) => `\\u${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/** `text` with control, bidi and zero-width characters as visible `\uXXXX` (a backslash itself is left as is). */
export function visible(text: string): string {
  return text.replace(HIDDEN, escape);
}

/** Whether `text` holds any character visible() would escape. */
export const hasHidden = (text: string): boolean => new RegExp(HIDDEN.source).test(text);
