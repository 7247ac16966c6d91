// The JSON API, typed as the page uses it.

export interface EventSummary {
  event_id: string; event_date: string | null; time_precision: number | null; event_type: string | null;
  sub_event_type: string | null; actor1: string | null; actor1_id: string | null; actor2: string | null;
  actor2_id: string | null; location: string | null; admin1: string | null; country: string | null;
  latitude: number | null; longitude: number | null; geo_precision: number | null; fatalities: number | null;
  status: string | null; contested: boolean | null; source_count: number | null;
}
export interface EventPage { total: number; next_cursor: string | null; events: EventSummary[] }
export interface Source {
  report_id: string; doc_id: string; url: string | null; site: string | null; published: string | null;
  copy_of: string | null; sentence: string; start: number; end: number; attributed_to: string | null;
  cue: string | null; status: string | null; values: Record<string, unknown> | null; title: string | null;
  before: string | null; after: string | null; cut_before: boolean; cut_after: boolean;
}
export interface Claim {
  claim_id: string; doc_id: string; text: string; attributed_to: string | null; cue: string | null;
  stance: string | null; contradicts: string[] | null; title?: string | null; site?: string | null;
}
export interface Conflict {
  field: string;
  values: { value: unknown; words?: string | null; site?: string | null; attributed_to?: string | null; status?: string | null; doc_id?: string }[];
}
export interface EventDetail extends EventSummary {
  date_text: string | null; disorder_type: string | null; assoc_actor_1: string | null; assoc_actor_2: string | null;
  injuries: number | null; notes: string | null; document_count: number | null; civilian_targeting: boolean | null;
  sources: Source[]; claims: Claim[]; conflicts: Conflict[];
}
export interface Cluster {
  events: number; fatalities: number; lat: number; lon: number; event_id: string | null;
  types: { event_type: string | null; events: number }[]; bounds: [number, number, number, number];
}
export interface Stats {
  totals: { events: number; fatalities: number; contested: number; first: string | null; last: string | null };
  by_type: { event_type: string | null; events: number; fatalities: number }[];
  by_day: { day: string; events: number; fatalities: number }[];
  clusters?: { zoom: number; cell: number; clusters: Cluster[] };
}
export interface Facets {
  event_types: { event_type: string; sub_event_type: string | null; events: number }[];
  countries: { country: string; events: number }[];
  statuses: { status: string; events: number }[];
  range: { first: string | null; last: string | null };
  bounds: (number | null)[];
  search: string;
}
export interface Entity {
  entity_id: string; name: string; type: string | null; kind: string | null; country: string | null;
  wikidata: string | null; aliases: string[] | null; mentions: number | null; documents: number | null;
  event_count: number; events: EventSummary[]; spellings: { text: string; mentions: number }[];
  mention_list: { doc_id: string; text: string; title: string | null; site: string | null; published: string | null }[];
}
export interface EntityPage {
  total: number;
  entities: { entity_id: string; name: string; kind: string | null; country: string | null; aliases: string[] | null;
              mentions: number | null; documents: number | null }[];
}
export interface Span {
  event_id: string; start: number; end: number; sentence: string; attributed_to: string | null; status: string | null;
  event_type: string | null; event_date: string | null;
}
export interface DocumentDetail {
  doc_id: string; source: string; url: string | null; title: string | null; author: string | null; site: string | null;
  published: string | null; published_from: string | null; language: string | null; status: string;
  duplicate_of: string | null; text: string; boilerplate: string; seen_at: string[];
  duplicates: { doc_id: string; title: string | null; site: string | null; published: string | null }[];
  spans: Span[]; claims: (Claim & { start: number | null; end: number | null })[];
}

export class ApiError extends Error {
  constructor(public status: number, message: string) { super(message); }
}

export function query(params: Record<string, string | string[] | number | boolean | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === "") continue;
    for (const v of Array.isArray(value) ? value : [value]) search.append(key, String(v));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export async function getJSON<T>(path: string, params: Parameters<typeof query>[0] = {},
                                  signal?: AbortSignal): Promise<T> {
  const response = await fetch(`/api/${path}${query(params)}`, { signal, headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const message = body && body.error && typeof body.error.message === "string" ? body.error.message : response.statusText;
    throw new ApiError(response.status, message);
  }
  return body as T;
}
