// Colours per ACLED event type, shared by the map, the legend and the timeline.
export const TYPE_COLORS: Record<string, string> = {
  "Battles": "#c62828",
  "Explosions/Remote violence": "#ef6c00",
  "Violence against civilians": "#6a1b9a",
  "Protests": "#2e7d32",
  "Riots": "#795548",
  "Strategic developments": "#1565c0",
};
export const typeColor = (type: string | null | undefined): string => (type && TYPE_COLORS[type]) || "#546e7a";

export const PRECISION: Record<number, string> = { 1: "exact day", 2: "within a week", 3: "within a month" };
export const GEO_PRECISION: Record<number, string> = { 1: "exact place", 2: "near the place", 3: "region only" };

export function fmtDate(day: string | null | undefined): string {
  return day ? day.slice(0, 10) : "date unknown";
}

/** A small colour square for a type (colour set through CSSOM: the CSP forbids style attributes). */
export function swatch(type: string | null | undefined): HTMLElement {
  const span = document.createElement("span");
  span.className = "swatch";
  span.style.backgroundColor = typeColor(type);
  return span;
}
