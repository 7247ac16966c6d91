// Wires the page: URL state -> one stats request (totals, timeline, map clusters) and the panel.
import { getJSON, query, type Facets, type Stats } from "./api";
import { el, replace } from "./dom";
import { FilterPanel } from "./filters";
import { MapView } from "./mapview";
import { Panel } from "./panel";
import { get, setFilter, subscribe, update, type Filters } from "./state";
import { Timeline } from "./timeline";

const $ = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;

function showError(message: string | null): void {
  const box = $("error");
  box.hidden = !message;
  box.textContent = message ?? "";
}

async function main(): Promise<void> {
  const facets = await getJSON<Facets>("facets");
  const filterPanel = new FilterPanel($("filters"), facets);
  const apiFilters = (): Filters => get().filters;
  // `map` is assigned below, before any view can be shown.
  const panel = new Panel($("panel"), apiFilters, (e) => map.highlight(e?.latitude ?? null, e?.longitude ?? null));
  let statsController: AbortController | null = null;
  let started = false;

  const timeline = new Timeline($("timeline"), (s) => update({ filters: withDates(get().filters, s.from, s.to) }));
  timeline.setRange(facets.range.first, facets.range.last);

  const map = new MapView($("map"), {
    moved: (_zoom, _view, position) => {
      update({ map: position }, { push: false });
      if (started) void refresh(); // the first view's request is made once, below
    },
    openEvent: (id) => update({ view: { kind: "event", id, hl: null } }),
    openCell: (bounds) => { void panel.show({ ...get(), view: { kind: "list", id: null, hl: null } }, bounds); },
  });
  if (!map.setPosition(get().map)) {
    const [w, s, e, n] = facets.bounds;
    if (w !== null && w !== undefined && s !== null && e !== null && n !== null) map.fitBox(w, s, e, n);
    else map.map.setView([25, 20], 2, { animate: false });
  }

  async function refresh(): Promise<void> {
    statsController?.abort();
    statsController = new AbortController();
    const { zoom, view } = map.position();
    try {
      const stats = await getJSON<Stats>("stats", { ...get().filters, zoom, view }, statsController.signal);
      showError(null);
      map.draw(stats.clusters?.clusters ?? []);
      filterPanel.counts(stats);
      timeline.draw(stats.by_day, { from: str(get().filters.date_from), to: str(get().filters.date_to) });
      const t = stats.totals;
      replace($("totals"), `${t.events.toLocaleString()} events · ${t.fatalities.toLocaleString()} fatalities · `
        + `${t.contested.toLocaleString()} contested`);
      downloads();
      if (!document.body.dataset.ready) document.body.dataset.readyMs = String(Math.round(performance.now()));
      document.body.dataset.ready = "1";
    } catch (err) {
      if ((err as Error).name !== "AbortError") showError((err as Error).message);
    }
  }

  function downloads(): void {
    const q = query(get().filters);
    replace($("downloads"), "Download: ",
      el("a", { href: `/api/download/events.csv${q}`, download: true }, "ACLED CSV"), " ",
      el("a", { href: `/api/download/events.jsonl${q}`, download: true }, "JSONL"), " ",
      el("a", { href: `/api/download/events.geojson${q}`, download: true }, "GeoJSON"));
  }

  const actors = el("a", { href: "?open=entities:*", class: "nav" }, "Actors");
  actors.addEventListener("click", (e) => { e.preventDefault(); update({ view: { kind: "entities", id: "*", hl: null } }); });
  $("top").insertBefore(actors, $("totals"));
  const search = $("q") as HTMLInputElement;
  search.value = str(get().filters.q) ?? "";
  $("search").addEventListener("submit", (e) => { e.preventDefault(); setFilter("q", search.value.trim() || null); });

  subscribe((state, changed) => {
    if (changed.filters) {
      filterPanel.render();
      search.value = str(state.filters.q) ?? "";
      void refresh();
    }
    if (changed.view || (changed.filters && state.view.kind === "list")) void panel.show(state);
  });

  void map.loadBasemap().catch((err) => showError(`basemap: ${(err as Error).message}`));
  void panel.show(get());
  started = true;
  await refresh();
}

function str(v: string | string[] | undefined): string | null {
  return Array.isArray(v) ? v[0] ?? null : v ?? null;
}

function withDates(filters: Filters, from: string | null, to: string | null): Filters {
  const next = { ...filters };
  delete next.date_from;
  delete next.date_to;
  if (from) next.date_from = from;
  if (to) next.date_to = to;
  return next;
}

document.addEventListener("DOMContentLoaded", () => {
  main().catch((err) => showError(`The page could not start: ${(err as Error).message}`));
});
