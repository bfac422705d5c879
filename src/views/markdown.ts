/**
 * Markdown for tooltips built from untrusted text (process titles, socket names, routing ids,
 * disconnect messages, file paths). Pure: no vscode import. The tree adapter puts the result in a
 * MarkdownString that is neither trusted nor allowed HTML, and this escaping makes sure the text
 * cannot become a link, an image, a command URI or formatting either.
 */
import { safeText } from '../shared/format';

// Everything CommonMark gives a meaning to, plus the characters that start HTML and entities.
const MARKDOWN_SPECIAL = /[\\`*_{}[\]()#+\-.!|<>&~"'$:]/g;

/** Untrusted text as literal markdown: unsafe characters made visible, specials backslash-escaped. */
export function escapeMarkdown(text: string, max?: number): string {
  return safeText(text, max).replace(MARKDOWN_SPECIAL, (c) => `\\${c}`);
}

/** One "**label**: value" line; the label is ours, the value is escaped. */
export function mdField(label: string, value: string): string {
  return `**${label}:** ${escapeMarkdown(value)}`;
}

/** Lines joined as separate paragraphs-in-one (markdown hard breaks). */
export function mdLines(lines: readonly string[]): string {
  return lines.filter((l) => l.length > 0).join('  \n');
}
