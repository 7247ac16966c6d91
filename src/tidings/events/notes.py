"""ACLED-style notes: one sentence generated from an event's coded fields (never free text from a page)."""

from __future__ import annotations

from datetime import date
from typing import Any

DISORDER = {
    "Battles": "Political violence",
    "Explosions/Remote violence": "Political violence",
    "Violence against civilians": "Political violence",
    "Riots": "Political violence",
    "Protests": "Demonstrations",
    "Strategic developments": "Strategic developments",
}

VERBS = {
    "Armed clash": "clashed with",
    "Government regains territory": "regained territory from",
    "Non-state actor overtakes territory": "took control of territory from",
    "Air/drone strike": "carried out an air or drone strike against",
    "Shelling/artillery/missile attack": "shelled or fired missiles at",
    "Remote explosive/landmine/IED": "detonated an explosive device against",
    "Suicide bomb": "carried out a suicide bombing against",
    "Grenade": "threw a grenade at",
    "Chemical weapon": "used a chemical weapon against",
    "Attack": "attacked",
    "Abduction/forced disappearance": "abducted",
    "Sexual violence": "committed sexual violence against",
    "Peaceful protest": "demonstrated",
    "Protest with intervention": "demonstrated and were dispersed by",
    "Excessive force against protesters": "used excessive force against",
    "Violent demonstration": "rioted",
    "Mob violence": "attacked",
    "Arrests": "arrested",
    "Looting/property destruction": "looted or destroyed property of",
    "Disrupted weapons use": "intercepted or defused weapons of",
    "Agreement": "reached an agreement with",
    "Change to group/activity": "changed activity",
    "Headquarters or base established": "established a base",
    "Non-violent transfer of territory": "took over territory without fighting from",
    "Other": "was involved in an event with",
}


def disorder_type(event_type: str | None) -> str | None:
    return DISORDER.get(event_type or "")


def _when(day: date | None, precision: int | None) -> str:
    if day is None:
        return "On an unknown date"
    if precision == 3:
        return f"In {day.strftime('%B %Y')}"
    if precision == 2:
        return f"Around {day.day} {day.strftime('%B %Y')}"
    return f"On {day.day} {day.strftime('%B %Y')}"


def acled_notes(e: dict[str, Any]) -> str:
    day = e.get("event_date")
    if isinstance(day, str):
        day = date.fromisoformat(day)
    actor1 = e.get("actor1") or "an unidentified actor"
    sub = e.get("sub_event_type") or "Other"
    verb = VERBS.get(sub, "was involved in an event with")
    target = e.get("actor2")
    if target and verb.endswith((" with", " against", " at", " of", " by", " from")) or target and verb == "attacked":
        what = f"{actor1} {verb} {target}"
    elif verb.endswith((" with", " against", " at", " of", " by", " from")):
        what = f"{actor1} {verb.rsplit(' ', 1)[0]}"
    else:
        what = f"{actor1} {verb}" + (f" {target}" if target and verb in ("arrested", "abducted") else "")
    where = ""
    if e.get("location"):
        region = e.get("admin1")
        where = f" in {e['location']}" + (f" ({region})" if region and region != e["location"] else "")
        if e.get("country") and e.get("country") not in (e["location"], region):
            where += f", {e['country']}"
    casualties = []
    if e.get("fatalities") is not None:
        casualties.append(f"{e['fatalities']} killed")
    if e.get("injuries") is not None:
        casualties.append(f"{e['injuries']} injured")
    tail = f" {', '.join(casualties).capitalize()}." if casualties else " Casualties unknown."
    status = e.get("status")
    flag = f" Status: {status}{', contested' if e.get('contested') else ''}." if status and status != "reported" \
        else (" Contested." if e.get("contested") else "")
    return f"{_when(day, e.get('time_precision'))}, {what}{where}.{tail}{flag}"
