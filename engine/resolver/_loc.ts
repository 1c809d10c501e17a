/** Leaf locations as validation prints them: keys joined by `.`, list indices as `[n]` (`inputs.items[0]`). */

/** The loc of `key` inside the map at `loc` (`""` is the top: no leading dot). */
export function keyLoc(loc: string, key: string): string {
  return loc === "" ? key : `${loc}.${key}`;
}

/** The loc of item `i` of the list at `loc`. */
export function indexLoc(loc: string, i: number): string {
  return `${loc}[${i}]`;
}
