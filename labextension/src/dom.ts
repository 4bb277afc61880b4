/** DOM helpers shared by the views. */

/** A new ``tag`` element with a class and text. The text is set as text, never as HTML: run
 * names, messages and logs are user data. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls?: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (cls) {
    node.className = cls;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}
