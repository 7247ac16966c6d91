// The timeline: events per period over the ledger's whole date range, for the other filters; dragging
// across it selects a date range (the brushed bars stay dark), a click without dragging clears it.
import { clear, el, svg } from "./dom";

const HEIGHT = 92;
const AXIS = 18;
const DAY = 86_400_000;

export interface Selection { from: string | null; to: string | null }

export class Timeline {
  private days: { day: string; events: number }[] = [];
  private first = 0;
  private last = 0;
  private bin = 1;
  private selection: Selection = { from: null, to: null };
  private readonly figure: SVGSVGElement;
  private readonly caption: HTMLElement;

  constructor(private readonly container: HTMLElement, private readonly onSelect: (s: Selection) => void) {
    this.figure = svg("svg", { class: "histogram", role: "img", "aria-label": "events per period" }) as SVGSVGElement;
    const reset = el("button", { type: "button", class: "reset", title: "Show every date" }, "All dates");
    reset.addEventListener("click", () => this.onSelect({ from: null, to: null }));
    this.caption = el("span", { class: "caption" });
    container.append(el("div", { class: "timeline-head" }, this.caption, reset), this.figure);
    this.brush();
    new ResizeObserver(() => this.render()).observe(container);
  }

  setRange(first: string | null, last: string | null): void {
    if (!first || !last) return;
    this.first = Date.parse(first);
    this.last = Date.parse(last);
  }

  draw(days: { day: string; events: number }[], selection: Selection): void {
    this.days = days;
    this.selection = selection;
    this.render();
  }

  private width(): number {
    return Math.max(200, this.container.clientWidth - 16);
  }

  private x(time: number): number {
    const span = Math.max(DAY, this.last - this.first + DAY);
    return ((time - this.first) / span) * this.width();
  }

  private timeAt(x: number): number {
    const span = Math.max(DAY, this.last - this.first + DAY);
    return this.first + Math.max(0, Math.min(1, x / this.width())) * span;
  }

  private render(): void {
    const width = this.width();
    clear(this.figure);
    this.figure.setAttribute("viewBox", `0 0 ${width} ${HEIGHT}`);
    this.figure.setAttribute("width", String(width));
    this.figure.setAttribute("height", String(HEIGHT));
    if (!this.first || !this.last) return;
    const totalDays = Math.round((this.last - this.first) / DAY) + 1;
    this.bin = Math.max(1, Math.ceil(totalDays / (width / 3))); // bars at least 3 pixels wide
    const counts = new Map<number, number>();
    for (const d of this.days) {
      const index = Math.floor((Date.parse(d.day) - this.first) / DAY / this.bin);
      counts.set(index, (counts.get(index) ?? 0) + d.events);
    }
    const max = Math.max(1, ...counts.values());
    const from = this.selection.from ? Date.parse(this.selection.from) : -Infinity;
    const to = this.selection.to ? Date.parse(this.selection.to) : Infinity;
    const plot = HEIGHT - AXIS;
    const bars = svg("g", { class: "bars" });
    for (const [index, n] of counts) {
      const start = this.first + index * this.bin * DAY;
      const end = start + (this.bin - 1) * DAY;
      const h = Math.max(1, (n / max) * (plot - 4));
      const inside = end >= from && start <= to;
      bars.appendChild(svg("rect", { x: this.x(start).toFixed(1), y: (plot - h).toFixed(1),
        width: Math.max(1, this.x(start + this.bin * DAY) - this.x(start) - 0.5).toFixed(1), height: h.toFixed(1),
        class: inside ? "bar in" : "bar out", "data-day": new Date(start).toISOString().slice(0, 10), "data-events": n },
        svg("title", {}, `${new Date(start).toISOString().slice(0, 10)}${this.bin > 1 ? ` (+${this.bin - 1} days)` : ""}: ${n} events`)));
    }
    this.figure.appendChild(bars);
    this.figure.appendChild(this.axis(plot));
    if (this.selection.from || this.selection.to) {
      const x0 = this.selection.from ? this.x(from) : 0;
      const x1 = this.selection.to ? this.x(to + DAY) : width;
      this.figure.appendChild(svg("rect", { class: "selection", x: x0.toFixed(1), y: 0, width: Math.max(1, x1 - x0).toFixed(1), height: plot }));
    }
    const total = this.days.reduce((a, d) => a + d.events, 0);
    const sel = this.selection.from || this.selection.to
      ? `selected ${this.selection.from ?? "start"} to ${this.selection.to ?? "end"}` : "drag across the bars to select dates";
    this.caption.textContent = `${total.toLocaleString()} events over time, ${this.bin > 1 ? `${this.bin}-day bars` : "daily bars"}; ${sel}`;
  }

  private axis(plot: number): SVGElement {
    const g = svg("g", { class: "axis" });
    const start = new Date(this.first);
    const months = Math.round((this.last - this.first) / DAY / 30);
    const every = months > 36 ? 12 : months > 18 ? 6 : months > 8 ? 3 : 1;
    const d = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
    for (; d.getTime() <= this.last; d.setUTCMonth(d.getUTCMonth() + every)) {
      const x = this.x(d.getTime());
      g.appendChild(svg("line", { x1: x.toFixed(1), x2: x.toFixed(1), y1: plot, y2: plot + 4 }));
      g.appendChild(svg("text", { x: (x + 2).toFixed(1), y: plot + 14 }, d.toISOString().slice(0, 7)));
    }
    return g;
  }

  private brush(): void {
    let startX: number | null = null;
    let ghost: SVGElement | null = null;
    const localX = (e: PointerEvent): number => e.clientX - this.figure.getBoundingClientRect().left;
    this.figure.addEventListener("pointerdown", (e) => {
      startX = localX(e);
      this.figure.setPointerCapture(e.pointerId);
      ghost = svg("rect", { class: "brush", x: startX, y: 0, width: 0, height: HEIGHT - AXIS });
      this.figure.appendChild(ghost);
    });
    this.figure.addEventListener("pointermove", (e) => {
      if (startX === null || !ghost) return;
      const x = localX(e);
      ghost.setAttribute("x", String(Math.min(startX, x)));
      ghost.setAttribute("width", String(Math.abs(x - startX)));
    });
    this.figure.addEventListener("pointerup", (e) => {
      if (startX === null) return;
      const x = localX(e);
      const [a, b] = [Math.min(startX, x), Math.max(startX, x)];
      startX = null;
      ghost?.remove();
      if (b - a < 3) { this.onSelect({ from: null, to: null }); return; }
      const iso = (t: number): string => new Date(t).toISOString().slice(0, 10);
      this.onSelect({ from: iso(this.timeAt(a)), to: iso(this.timeAt(b)) });
    });
  }
}
