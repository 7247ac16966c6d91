// The map: a Natural Earth country basemap served by tidings (no tile server) and the server's grid
// clusters, coloured by their most common event type and sized by fatalities.
import * as L from "leaflet";
import { feature } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import type { Cluster } from "./api";
import { el, svg } from "./dom";
import { swatch, typeColor } from "./style";

export const MAX_ZOOM = 12;

export interface MapHandlers {
  moved: (zoom: number, view: string, position: string) => void;
  openEvent: (id: string) => void;
  openCell: (bounds: [number, number, number, number]) => void;
}

export class MapView {
  readonly map: L.Map;
  private readonly layer = L.layerGroup();
  private readonly selected = L.layerGroup();
  private readonly ring = L.svg({ pane: "selected" }); // SVG, not canvas: the ring is one findable element

  constructor(container: HTMLElement, private readonly on: MapHandlers) {
    this.map = L.map(container, { preferCanvas: true, minZoom: 1, maxZoom: MAX_ZOOM, worldCopyJump: false,
                                  attributionControl: false, zoomSnap: 1, maxBounds: [[-89, -540], [89, 540]] });
    this.map.createPane("basemap").style.zIndex = "250"; // under the markers whichever loads first
    this.layer.addTo(this.map);
    this.map.createPane("selected").style.zIndex = "640"; // above the cluster pies
    this.selected.addTo(this.map);
    const credit = new L.Control({ position: "bottomright" });
    credit.onAdd = () => el("div", { class: "credit" }, "Countries: Natural Earth (world-atlas)");
    credit.addTo(this.map);
    this.map.on("moveend", () => this.emitMove());
  }

  async loadBasemap(): Promise<void> {
    const response = await fetch("/static/countries-50m.json");
    const topo = (await response.json()) as Topology<{ countries: GeometryCollection }>;
    const countries = feature(topo, topo.objects.countries);
    const renderer = L.canvas({ pane: "basemap" });
    // GeoJSON hands its options to each polygon, so `renderer` reaches them (the typings omit it).
    const options = { pane: "basemap", renderer, interactive: false, style: () => ({
      color: "#9aa5ad", weight: 0.6, fillColor: "#eef1f3", fillOpacity: 1 }) } as L.GeoJSONOptions;
    L.geoJSON(countries, options).addTo(this.map);
    this.map.getContainer().dataset.basemap = String(countries.features.length);
  }

  /** Current zoom, view box (west,south,east,north) and the URL form of the position. */
  position(): { zoom: number; view: string; position: string } {
    const b = this.map.getBounds();
    const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
    let west = b.getWest(), east = b.getEast();
    if (east - west >= 360) { west = -180; east = 180; }
    west = ((west + 540) % 360) - 180;
    east = ((east + 540) % 360) - 180;
    if (east === -180) east = 180;
    const r = (v: number): string => v.toFixed(4);
    const view = [r(west), r(clamp(b.getSouth(), -90, 90)), r(east), r(clamp(b.getNorth(), -90, 90))].join(",");
    const c = this.map.getCenter();
    return { zoom: this.map.getZoom(), view, position: `${c.lat.toFixed(3)},${c.lng.toFixed(3)},${this.map.getZoom()}` };
  }

  private emitMove(): void {
    const p = this.position();
    this.on.moved(p.zoom, p.view, p.position);
  }

  setPosition(position: string | null): boolean {
    const parts = (position ?? "").split(",").map(Number);
    if (parts.length === 3 && parts.every(Number.isFinite)) {
      this.map.setView([parts[0], parts[1]], Math.round(parts[2]), { animate: false });
      return true;
    }
    return false;
  }

  /** Ring the open event's place on the map, panning to it when it is out of view; null clears the ring. */
  highlight(lat: number | null, lon: number | null): void {
    this.selected.clearLayers();
    if (lat === null || lon === null) return;
    L.circleMarker([lat, lon], { pane: "selected", renderer: this.ring, radius: 14, color: "#ff6f00", weight: 3, fill: false,
                                 interactive: false, className: "selected-event" }).addTo(this.selected);
    if (!this.map.getBounds().contains([lat, lon])) this.map.panTo([lat, lon]);
  }

  fitBox(west: number, south: number, east: number, north: number): void {
    this.map.fitBounds(L.latLngBounds([south, west], [north, east]).pad(0.1), { animate: false, maxZoom: 7 });
  }

  draw(clusters: Cluster[]): void {
    // What is drawn, for tests and for anyone inspecting the page: markers live on a canvas, not in the DOM.
    const box = this.map.getContainer();
    box.dataset.clusters = String(clusters.length);
    box.dataset.events = String(clusters.reduce((n, c) => n + c.events, 0));
    this.layer.clearLayers();
    // Biggest first, so small clusters stay clickable on top. A cluster is a pie of its event types,
    // sized by its fatalities (and a little by its count), labelled with its count.
    const ordered = [...clusters].sort((a, b) => b.fatalities - a.fatalities || b.events - a.events);
    ordered.forEach((c, z) => {
      // Log scales: a cell of thousands of events must not hide its neighbours (cells are ~64 px wide).
      const radius = Math.round(Math.min(28, 6 + 2.2 * Math.log2(1 + c.fatalities) + Math.log2(c.events)));
      const size = 2 * radius + 2;
      const icon = L.divIcon({ html: pie(c, radius), className: "cluster", iconSize: [size, size],
                               iconAnchor: [size / 2, size / 2] });
      const marker = L.marker([c.lat, c.lon], { icon, zIndexOffset: z, keyboard: false,
                                                title: "" });
      marker.bindTooltip(this.tooltip(c), { direction: "top", offset: [0, -radius] });
      marker.on("click", () => this.click(c));
      marker.addTo(this.layer);
    });
  }

  private tooltip(c: Cluster): HTMLElement {
    const rows = c.types.slice(0, 6).map((t) =>
      el("div", {}, swatch(t.event_type), ` ${t.event_type ?? "unknown"}: ${t.events}`));
    return el("div", { class: "tip" },
      el("strong", {}, c.events === 1 ? "1 event" : `${c.events.toLocaleString()} events`),
      ` · ${c.fatalities.toLocaleString()} fatalities`, ...rows,
      el("div", { class: "hint" }, c.events === 1 ? "click to open" : "click to zoom in"));
  }

  private click(c: Cluster): void {
    if (c.event_id) { this.on.openEvent(c.event_id); return; }
    const [w, s, e, n] = c.bounds;
    if (this.map.getZoom() >= MAX_ZOOM) { this.on.openCell(c.bounds); return; }
    this.map.fitBounds([[s, w], [n, e]], { maxZoom: Math.min(MAX_ZOOM, this.map.getZoom() + 3) });
  }
}

/** An SVG pie: one slice per event type (colour by type), the count in the middle. */
function pie(c: Cluster, r: number): SVGElement {
  const size = 2 * r + 2;
  const root = svg("svg", { width: size, height: size, viewBox: `${-r - 1} ${-r - 1} ${size} ${size}`,
                            "data-events": c.events, "data-fatalities": c.fatalities });
  const total = c.types.reduce((n, t) => n + t.events, 0) || 1;
  if (c.types.length <= 1) {
    root.appendChild(svg("circle", { r, fill: typeColor(c.types[0]?.event_type), class: "slice" }));
  } else {
    let angle = -Math.PI / 2;
    for (const t of c.types) {
      const next = angle + (2 * Math.PI * t.events) / total;
      const large = next - angle > Math.PI ? 1 : 0;
      const p = (a: number): string => `${(r * Math.cos(a)).toFixed(2)} ${(r * Math.sin(a)).toFixed(2)}`;
      root.appendChild(svg("path", { d: `M0 0 L${p(angle)} A${r} ${r} 0 ${large} 1 ${p(next)} Z`,
                                     fill: typeColor(t.event_type), class: "slice" }));
      angle = next;
    }
  }
  root.appendChild(svg("circle", { r, fill: "none", class: "rim" }));
  if (c.events > 1) root.appendChild(svg("text", { class: "count", x: 0, y: 4 }, compact(c.events)));
  return root;
}

function compact(n: number): string {
  return n >= 10000 ? `${Math.round(n / 1000)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n);
}
