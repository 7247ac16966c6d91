// The filter controls. Each control writes one filter into the URL state; the rest of the page follows.
import type { Facets, Stats } from "./api";
import { clear, el, replace } from "./dom";
import { get, setFilter, update, type FilterKey, type Filters } from "./state";
import { swatch } from "./style";

const list = (v: string | string[] | undefined): string[] => (Array.isArray(v) ? v : v ? [v] : []);

export class FilterPanel {
  private readonly typeCounts = new Map<string, HTMLElement>();

  constructor(private readonly container: HTMLElement, private readonly facets: Facets) {
    this.render();
  }

  render(): void {
    clear(this.container);
    this.typeCounts.clear();
    const f = get().filters;
    const types = [...new Set(this.facets.event_types.map((t) => t.event_type))];
    const typeBoxes = types.map((type) => {
      const box = el("input", { type: "checkbox", name: "event_type", value: type, checked: list(f.event_type).includes(type) });
      box.addEventListener("change", () => setFilter("event_type", this.checked("event_type")));
      const count = el("span", { class: "count" });
      this.typeCounts.set(type, count);
      return el("label", { class: "check" }, box, swatch(type), ` ${type} `, count);
    });
    const statuses = this.facets.statuses.map(({ status }) => {
      const box = el("input", { type: "checkbox", name: "status", value: status, checked: list(f.status).includes(status) });
      box.addEventListener("change", () => setFilter("status", this.checked("status")));
      return el("label", { class: `check status-${status}` }, box, ` ${status}`);
    });
    const country = el("select", { name: "country", multiple: true, title: "Countries (ctrl-click for several)" },
      ...this.facets.countries.map((c) => el("option", { value: c.country, selected: list(f.country).includes(c.country) },
        `${c.country} (${c.events.toLocaleString()})`)));
    country.addEventListener("change", () =>
      setFilter("country", [...country.selectedOptions].map((o) => o.value)));
    const contested = el("select", { name: "contested" },
      el("option", { value: "", selected: !f.contested }, "contested or not"),
      el("option", { value: "true", selected: f.contested === "true" }, "only contested"),
      el("option", { value: "false", selected: f.contested === "false" }, "only uncontested"));
    contested.addEventListener("change", () => setFilter("contested", contested.value || null));
    const dateFrom = this.input("date_from", "date", f);
    const dateTo = this.input("date_to", "date", f);
    const actor = this.input("actor", "text", f, "part of a name");
    const fatalities = this.input("min_fatalities", "number", f, "0");
    fatalities.setAttribute("min", "0");
    const reset = el("button", { type: "button", class: "reset" }, "Clear all filters");
    reset.addEventListener("click", () => update({ filters: {} }));
    const entity = f.entity ? el("p", { class: "entity-filter" }, "Only events of entity ",
      el("code", {}, String(f.entity)), " ", this.clearButton("entity")) : null;
    this.container.append(
      el("h2", {}, "Filters"), entity ?? "",
      el("fieldset", {}, el("legend", {}, "Event type"), ...typeBoxes),
      el("fieldset", { class: "dates" }, el("legend", {}, "Dates"), el("label", {}, "from ", dateFrom), el("label", {}, "to ", dateTo)),
      el("fieldset", {}, el("legend", {}, "Status"), ...statuses, contested),
      el("fieldset", {}, el("legend", {}, "Place and actors"), country, el("label", {}, "actor ", actor),
        el("label", {}, "at least ", fatalities, " fatalities")),
      reset);
  }

  private checked(name: string): string[] {
    return [...this.container.querySelectorAll<HTMLInputElement>(`input[name="${name}"]:checked`)].map((b) => b.value);
  }

  private input(key: FilterKey, type: string, f: Filters, placeholder = ""): HTMLInputElement {
    const input = el("input", { type, name: key, value: list(f[key])[0] ?? "", placeholder });
    input.addEventListener("change", () => setFilter(key, input.value.trim() || null));
    return input;
  }

  private clearButton(key: FilterKey): HTMLElement {
    const b = el("button", { type: "button", class: "link", title: "remove this filter" }, "×");
    b.addEventListener("click", () => setFilter(key, null));
    return b;
  }

  counts(stats: Stats): void {
    const byType = new Map(stats.by_type.map((t) => [t.event_type ?? "", t.events]));
    for (const [type, node] of this.typeCounts) replace(node, `${(byType.get(type) ?? 0).toLocaleString()}`);
  }
}
