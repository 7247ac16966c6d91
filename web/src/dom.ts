// Every node the page shows is built here. Data only ever reaches the DOM as text nodes or through a short
// list of attributes; there is no innerHTML anywhere, so article text full of markup stays text.

export type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined>;

const SAFE_ATTRS = new Set([
  "class", "id", "title", "type", "name", "value", "placeholder", "for", "role", "tabindex", "min", "max",
  "step", "rel", "target", "checked", "selected", "multiple", "disabled", "hidden", "colspan", "lang", "dir", "download",
  "viewBox", "width", "height", "x", "y", "rx", "r", "cx", "cy", "fill", "d", "transform", "x1", "x2", "y1", "y2",
]);

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]):
    HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

export function svg(tag: string, attrs: Attrs = {}, ...children: Child[]): SVGElement {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function setAttrs(node: Element, attrs: Attrs): void {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "href") {
      const href = safeHref(String(value));
      if (href) node.setAttribute("href", href);
    } else if (key.startsWith("data-") || key.startsWith("aria-") || SAFE_ATTRS.has(key)) {
      node.setAttribute(key, value === true ? "" : String(value));
    } else {
      throw new Error(`attribute ${key} is not allowed`); // event handlers and src never come from here
    }
  }
}

function append(node: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An href only when it is this page's own URL or an http(s) address; javascript:, data: and the rest are dropped. */
export function safeHref(value: string): string | null {
  if (value.startsWith("?") || value.startsWith("#") || (value.startsWith("/") && !value.startsWith("//"))) return value;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** A link to a source page when its address is safe, else the address as plain text. */
export function externalLink(url: string | null | undefined, label?: string): Node {
  if (!url) return document.createTextNode("");
  const href = safeHref(url);
  if (!href || /^[/?#]/.test(href)) return el("code", { class: "unsafe-url", title: "not a web address" }, url);
  return el("a", { href, rel: "noopener noreferrer nofollow", target: "_blank", class: "external" }, label ?? url);
}

export function clear(node: Element): void {
  while (node.firstChild) node.removeChild(node.firstChild);
}

export function replace(node: Element, ...children: Child[]): void {
  clear(node);
  append(node, children);
}
