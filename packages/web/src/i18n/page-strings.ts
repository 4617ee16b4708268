/*
 * English strings of features that load with their pages instead of the first load (a feature's
 * strings.ts calls addEnglish when its chunk is evaluated, before any of its components renders).
 * No React here: Node tests may import a feature's strings.
 */
const pages: Record<string, string> = {};

export function addEnglish(strings: Readonly<Record<string, string>>): void {
  Object.assign(pages, strings);
}

/** A page's English string, or undefined while its feature has not loaded. */
export function pageEnglish(key: string): string | undefined {
  return pages[key];
}
