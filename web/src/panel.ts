// The right-hand panel: the filtered event list, one event with its sources, an entity, a document.
// All text from the ledger is inserted as text nodes (see dom.ts); highlighted spans are cut by offsets.
import { getJSON, type DocumentDetail, type Entity, type EntityPage, type EventDetail, type EventPage, type EventSummary,
         type Source } from "./api";
import { el, externalLink, replace, type Child } from "./dom";
import { get, link, open, setFilter, type State } from "./state";
import { fmtDate, GEO_PRECISION, PRECISION, swatch } from "./style";

type Params = Parameters<typeof getJSON>[1];

export class Panel {
  private controller: AbortController | null = null;

  constructor(private readonly container: HTMLElement, private readonly filters: () => Params,
              private readonly shown: (e: EventDetail | null) => void = () => {}) {
    // Links inside the panel change the state rather than reload the page.
    container.addEventListener("click", (e) => {
      const a = (e.target as Element).closest("a[data-view]");
      if (!a || e.ctrlKey || e.metaKey || e.shiftKey) return;
      e.preventDefault();
      open(a.getAttribute("data-view") as "event" | "entity" | "doc", a.getAttribute("data-id"), a.getAttribute("data-hl"));
    });
  }

  async show(state: State, cell: [number, number, number, number] | null = null): Promise<void> {
    this.controller?.abort();
    this.controller = new AbortController();
    const signal = this.controller.signal;
    this.container.setAttribute("aria-busy", "true");
    try {
      const v = state.view;
      if (v.kind === "event" && v.id) {
        const event = await getJSON<EventDetail>(`events/${encodeURIComponent(v.id)}`, {}, signal);
        this.event(event);
        this.shown(event);
      } else {
        this.shown(null);
        if (v.kind === "entities") await this.entities(v.id === "*" ? "" : v.id ?? "", signal);
        else if (v.kind === "entity" && v.id) this.entity(await getJSON<Entity>(`entities/${encodeURIComponent(v.id)}`, {}, signal));
        else if (v.kind === "doc" && v.id) this.document(await getJSON<DocumentDetail>(`documents/${encodeURIComponent(v.id)}`, {}, signal), v.hl);
        else await this.list(signal, cell);
      }
      this.container.scrollTop = 0;
    } catch (err) {
      if ((err as Error).name === "AbortError") return;
      replace(this.container, back(), el("p", { class: "error" }, (err as Error).message));
    } finally {
      this.container.removeAttribute("aria-busy");
    }
  }

  // --- the list -------------------------------------------------------------------------------
  private async list(signal: AbortSignal, cell: [number, number, number, number] | null): Promise<void> {
    const params: Params = { ...this.filters(), limit: 50, ...(cell ? { bbox: cell.join(",") } : {}) };
    const page = await getJSON<EventPage>("events", params, signal);
    const items = el("ol", { class: "events" }, ...page.events.map(eventItem));
    const heading = el("h2", {}, cell ? `${page.total.toLocaleString()} events in this map cell`
      : `${page.total.toLocaleString()} events, newest first`);
    const more = el("button", { type: "button", class: "more", hidden: !page.next_cursor }, "More");
    let cursor = page.next_cursor;
    more.addEventListener("click", async () => {
      const next = await getJSON<EventPage>("events", { ...params, cursor });
      items.append(...next.events.map(eventItem));
      cursor = next.next_cursor;
      more.hidden = !cursor;
    });
    replace(this.container, heading, items, more);
  }

  // --- one event ------------------------------------------------------------------------------
  private event(e: EventDetail): void {
    const precision = e.time_precision ? PRECISION[e.time_precision] ?? `precision ${e.time_precision}` : "precision unknown";
    const geo = e.geo_precision ? GEO_PRECISION[e.geo_precision] ?? `precision ${e.geo_precision}` : "";
    const place = [e.location, e.admin1, e.country].filter(Boolean).join(", ");
    const facts = el("dl", { class: "facts" },
      el("dt", {}, "Date"), el("dd", {}, fmtDate(e.event_date), " ", el("span", { class: "muted" }, `(${precision}`,
        e.date_text ? `; from “${e.date_text}”` : "", ")")),
      el("dt", {}, "Place"), el("dd", {}, place || "unknown", " ", el("span", { class: "muted" },
        e.latitude !== null ? `${e.latitude}, ${e.longitude}` : "", geo ? ` (${geo})` : "")),
      el("dt", {}, "Actors"), el("dd", {}, actor(e.actor1, e.actor1_id), e.assoc_actor_1 ? ` with ${e.assoc_actor_1}` : "",
        e.actor2 ? " vs " : "", actor(e.actor2, e.actor2_id), e.assoc_actor_2 ? ` with ${e.assoc_actor_2}` : ""),
      el("dt", {}, "Casualties"), el("dd", {}, `${e.fatalities ?? "unknown"} killed`,
        e.injuries !== null ? `, ${e.injuries} injured` : ""),
      el("dt", {}, "Status"), el("dd", {}, badge(e.status), e.contested ? el("span", { class: "badge contested" }, "contested") : "",
        ` ${e.source_count ?? e.sources.length} sources in ${e.document_count ?? "?"} documents`));
    const conflicts = e.conflicts.length ? el("section", { class: "conflicts" }, el("h3", {}, "Sources disagree"),
      ...e.conflicts.map((c) => el("table", {},
        el("caption", {}, c.field),
        el("tr", {}, ...c.values.map((v) => el("th", {}, v.site ?? "source", v.attributed_to ? ` (${v.attributed_to})` : ""))),
        el("tr", {}, ...c.values.map((v) => el("td", { class: "value" }, formatValue(v.value),
          v.words && v.words !== formatValue(v.value) ? el("span", { class: "words" }, ` “${v.words}”`) : "")))))) : null;
    const claims = e.claims.length ? el("section", { class: "claims" }, el("h3", {}, "Claims"),
      el("ul", {}, ...e.claims.map((c) => el("li", { id: `claim-${c.claim_id}`, class: `stance-${c.stance ?? "none"}` },
        el("span", { class: "badge" }, c.stance ?? "claim"), " ", el("strong", {}, c.attributed_to ?? "unattributed"),
        c.cue ? ` (${c.cue})` : "", ": ", el("q", {}, c.text),
        contradicted(c.contradicts, e.claims))))) : null;
    replace(this.container, back(),
      el("h2", { class: "event-title" }, swatch(e.event_type), ` ${e.event_type ?? "Event"}`,
        e.sub_event_type ? el("span", { class: "sub" }, ` · ${e.sub_event_type}`) : ""),
      el("p", { class: "event-id muted" }, e.event_id, e.disorder_type ? ` · ${e.disorder_type}` : ""),
      facts, conflicts,
      el("section", { class: "sources" }, el("h3", {}, `Source sentences (${e.sources.length})`), ...e.sources.map(source)),
      claims,
      e.notes ? el("section", { class: "notes" }, el("h3", {}, "Notes"), el("p", {}, e.notes)) : null);
  }

  // --- entities -------------------------------------------------------------------------------
  private async entities(q: string, signal: AbortSignal): Promise<void> {
    const page = await getJSON<EntityPage>("entities", { q, limit: 200 }, signal);
    const search = el("input", { type: "search", name: "entity_q", value: q, placeholder: "name, alias or id" });
    search.addEventListener("change", () => open("entities", search.value.trim() || "*"));
    replace(this.container, back(),
      el("h2", {}, `${page.total.toLocaleString()} actors and other entities`), el("label", {}, "Find ", search),
      el("ul", { class: "entities" }, ...page.entities.map((n) => el("li", {},
        el("a", { href: link("entity", n.entity_id), "data-view": "entity", "data-id": n.entity_id }, n.name),
        el("span", { class: "muted" }, ` ${[n.kind, n.country].filter(Boolean).join(", ")} · ${n.mentions ?? 0} mentions`),
        n.aliases && n.aliases.length ? el("div", { class: "aliases muted" }, `also: ${n.aliases.join("; ")}`) : null))));
  }

  // --- one entity -----------------------------------------------------------------------------
  private entity(n: Entity): void {
    const filter = el("button", { type: "button" }, "Show only its events on the map");
    filter.addEventListener("click", () => setFilter("entity", n.entity_id));
    replace(this.container, back(),
      el("h2", { class: "entity-name" }, n.name),
      el("p", { class: "muted" }, [n.kind, n.country, n.wikidata ? `Wikidata ${n.wikidata}` : null, n.entity_id].filter(Boolean).join(" · ")),
      el("h3", {}, "Also known as"),
      el("ul", { class: "aliases" }, ...(n.aliases ?? []).map((a) => el("li", {}, a))),
      n.spellings.length ? el("p", { class: "spellings" }, "Spellings in the documents: ",
        ...n.spellings.flatMap((s, i) => [i ? "; " : "", el("q", {}, s.text), ` ×${s.mentions}`])) : null,
      filter,
      el("h3", {}, `Events (${n.event_count.toLocaleString()})`), el("ol", { class: "events" }, ...n.events.map(eventItem)),
      el("h3", {}, "Mentions"),
      el("ul", { class: "mentions" }, ...n.mention_list.map((m) => el("li", {},
        docLink(m.doc_id, m.title ?? m.doc_id), " ", el("span", { class: "muted" }, `${m.site ?? ""} ${fmtDate(m.published)}`)))));
  }

  // --- one document ---------------------------------------------------------------------------
  private document(d: DocumentDetail, hl: string | null): void {
    const body = el("div", { class: "doc-text" }, ...markSpans(d.text, d.spans.map((s) => ({
      start: s.start, end: s.end, event: s.event_id, label: `${s.event_type ?? "event"} ${fmtDate(s.event_date)}: ${s.attributed_to ?? ""} (${s.status ?? ""})`,
    })), hl));
    const boiler = el("pre", { class: "boilerplate", hidden: true }, d.boilerplate);
    const toggle = el("button", { type: "button", disabled: !d.boilerplate }, d.boilerplate ? "Show removed boilerplate" : "No boilerplate was removed");
    toggle.addEventListener("click", () => {
      boiler.hidden = !boiler.hidden;
      toggle.textContent = boiler.hidden ? "Show removed boilerplate" : "Hide removed boilerplate";
    });
    replace(this.container, back(),
      el("h2", { class: "doc-title" }, d.title ?? "(no title)"),
      el("dl", { class: "facts" },
        el("dt", {}, "Outlet"), el("dd", {}, d.site ?? "unknown", d.author ? ` · by ${d.author}` : ""),
        el("dt", {}, "Published"), el("dd", {}, d.published ?? "unknown", d.published_from ? el("span", { class: "muted" }, ` (from ${d.published_from})`) : ""),
        el("dt", {}, "Address"), el("dd", {}, externalLink(d.url)),
        el("dt", {}, "Source"), el("dd", {}, el("code", {}, d.source)),
        d.duplicate_of ? el("dt", {}, "Copy of") : null, d.duplicate_of ? el("dd", {}, docLink(d.duplicate_of, d.duplicate_of)) : null),
      d.duplicates.length ? el("details", { class: "duplicates" }, el("summary", {}, `${d.duplicates.length} copies of this text`),
        el("ul", {}, ...d.duplicates.map((c) => el("li", {}, docLink(c.doc_id, c.title ?? c.doc_id), ` ${c.site ?? ""} ${fmtDate(c.published)}`)))) : null,
      el("p", { class: "muted" }, `${d.spans.length} marked sentence(s) produced events; click one to open it.`),
      body, toggle, boiler);
    body.querySelector(".hl")?.scrollIntoView({ block: "center" });
  }
}

// --- pieces -----------------------------------------------------------------------------------
function back(): HTMLElement {
  return el("a", { href: link("list", "") , "data-view": "list", class: "back" }, "← all events");
}

function eventItem(e: EventSummary): HTMLElement {
  return el("li", { class: "event-item" },
    el("a", { href: link("event", e.event_id), "data-view": "event", "data-id": e.event_id },
      swatch(e.event_type), ` ${fmtDate(e.event_date)} · ${e.sub_event_type ?? e.event_type ?? "event"}`),
    el("div", { class: "muted" }, [e.location, e.country].filter(Boolean).join(", "), ` · ${e.fatalities ?? "?"} killed · `,
      e.actor1 ?? "", e.actor2 ? ` vs ${e.actor2}` : ""),
    badge(e.status), e.contested ? el("span", { class: "badge contested" }, "contested") : "");
}

function actor(name: string | null, id: string | null): Child {
  if (!name) return null;
  return id ? el("a", { href: link("entity", id), "data-view": "entity", "data-id": id, class: "actor" }, name) : name;
}

function docLink(id: string, label: string, hl: string | null = null): HTMLElement {
  return el("a", { href: link("doc", id, hl), "data-view": "doc", "data-id": id, "data-hl": hl }, label);
}

function badge(status: string | null): HTMLElement {
  return el("span", { class: `badge status-${status ?? "unknown"}` }, status ?? "status unknown");
}

/** "Contradicts: <who>" for each opposing claim, linking to it in the same list. */
function contradicted(ids: string[] | null, claims: EventDetail["claims"]): Child {
  if (!ids || !ids.length) return null;
  return el("div", { class: "contradicts" }, "Contradicts: ", ...ids.flatMap((id, i) => {
    const other = claims.find((c) => c.claim_id === id);
    return [i ? "; " : "", el("a", { href: `#claim-${id}` }, other?.attributed_to ?? other?.site ?? "another claim")];
  }));
}

function formatValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function source(s: Source): HTMLElement {
  const hl = `${s.start}-${s.end}`;
  return el("article", { class: "source" },
    el("header", {}, el("strong", {}, s.site ?? "unknown outlet"), " · ", fmtDate(s.published), " · ",
      docLink(s.doc_id, s.title ?? s.doc_id, hl), s.copy_of ? el("span", { class: "muted" }, " (a copy)") : ""),
    el("blockquote", { class: "context" }, s.cut_before ? "…" : "", s.before ?? "",
      el("mark", { class: "sentence" }, s.sentence), s.after ?? "", s.cut_after ? "…" : ""),
    el("p", { class: "attribution" }, badge(s.status), " ", s.attributed_to ? el("strong", {}, s.attributed_to) : "unattributed",
      s.cue ? ` ${s.cue}` : "", el("span", { class: "muted" }, ` · characters ${s.start}–${s.end}`), " ", externalLink(s.url, "original page")));
}

interface Mark { start: number; end: number; event: string; label: string }

/** The text as nodes, with each span wrapped in a mark linking to its event (overlaps: the earlier wins). */
function markSpans(text: string, spans: Mark[], hl: string | null): Node[] {
  const out: Node[] = [];
  let at = 0;
  for (const s of [...spans].sort((a, b) => a.start - b.start || b.end - a.end)) {
    if (s.start < at || s.end > text.length || s.end <= s.start) continue;
    if (s.start > at) out.push(document.createTextNode(text.slice(at, s.start)));
    const current = hl === `${s.start}-${s.end}`;
    out.push(el("a", { href: link("event", s.event), "data-view": "event", "data-id": s.event, title: s.label,
                       class: current ? "span hl" : "span" }, el("mark", {}, text.slice(s.start, s.end))));
    at = s.end;
  }
  out.push(document.createTextNode(text.slice(at)));
  return out;
}
