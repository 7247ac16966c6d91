// The page's whole state lives in the URL's query string, so any view is a shareable link. Filter names are
// the API's own parameter names: the same string filters the page, the API and the downloads.

export const FILTER_KEYS = ["date_from", "date_to", "event_type", "status", "country", "actor", "entity", "q",
  "contested", "min_fatalities"] as const;
const MULTI = new Set(["event_type", "status", "country"]);
export type FilterKey = (typeof FILTER_KEYS)[number];
export type Filters = Partial<Record<FilterKey, string | string[]>>;

export interface View { kind: "list" | "event" | "entity" | "entities" | "doc"; id: string | null; hl: string | null }
export interface State { filters: Filters; map: string | null; view: View }

export function read(search: string = location.search): State {
  const params = new URLSearchParams(search);
  const filters: Filters = {};
  for (const key of FILTER_KEYS) {
    const values = params.getAll(key).filter((v) => v !== "");
    if (values.length) filters[key] = MULTI.has(key) ? values : values[0];
  }
  // The open view is `open=KIND:ID` (e.g. open=event:SYN12), apart from the filters' own names.
  let view: View = { kind: "list", id: null, hl: null };
  const opened = params.get("open") ?? "";
  const colon = opened.indexOf(":");
  const kind = opened.slice(0, colon);
  if (colon > 0 && (kind === "event" || kind === "entity" || kind === "entities" || kind === "doc")
      && opened.length > colon + 1) {
    view = { kind, id: opened.slice(colon + 1), hl: params.get("hl") };
  }
  return { filters, map: params.get("map"), view };
}

export function write(state: State): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = state.filters[key];
    for (const v of Array.isArray(value) ? value : value ? [value] : []) params.append(key, v);
  }
  if (state.view.kind !== "list" && state.view.id) {
    params.set("open", `${state.view.kind}:${state.view.id}`);
    if (state.view.hl) params.set("hl", state.view.hl);
  }
  if (state.map) params.set("map", state.map);
  const text = params.toString();
  return text ? `?${text}` : location.pathname;
}

type Listener = (state: State, changed: { filters: boolean; view: boolean }) => void;
let current: State = read();
const listeners: Listener[] = [];

export const get = (): State => current;
export const subscribe = (fn: Listener): void => { listeners.push(fn); };

/** Change the state; a new history entry for views and filters, a replaced one for map moves. */
export function update(change: Partial<State>, opts: { push?: boolean } = {}): void {
  const next: State = { ...current, ...change };
  const changed = { filters: JSON.stringify(next.filters) !== JSON.stringify(current.filters),
                    view: JSON.stringify(next.view) !== JSON.stringify(current.view) };
  current = next;
  const url = write(next);
  if (opts.push ?? (changed.filters || changed.view)) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
  if (changed.filters || changed.view) for (const fn of listeners) fn(current, changed);
}

export function setFilter(key: FilterKey, value: string | string[] | null): void {
  const filters = { ...current.filters };
  if (value === null || value === "" || (Array.isArray(value) && value.length === 0)) delete filters[key];
  else filters[key] = value;
  update({ filters });
}

export function open(kind: View["kind"], id: string | null = null, hl: string | null = null): void {
  update({ view: { kind, id, hl } });
}

window.addEventListener("popstate", () => {
  const previous = current;
  current = read();
  const changed = { filters: JSON.stringify(previous.filters) !== JSON.stringify(current.filters),
                    view: JSON.stringify(previous.view) !== JSON.stringify(current.view) };
  for (const fn of listeners) fn(current, changed);
});

/** A link (href) to this page in another view, keeping the filters. */
export function link(kind: View["kind"], id: string, hl: string | null = null): string {
  return write({ ...current, view: { kind, id, hl } });
}
