"""The management review pack as Markdown, or as one self-contained HTML page with its figures also drawn as
inline SVG charts (matplotlib, with fixed IDs and no date: the same data gives the same bytes; no external URL,
so the page opens with no network)."""
from __future__ import annotations

import html
import io
import re
from collections import Counter
from datetime import date

from bot.domain.report import duration, md_inline

CHART_COLOURS = ("#1264a3", "#2eb67d", "#ecb22e", "#e01e5a", "#6b6b6b")


# Markdown -------------------------------------------------------------------------------------------------
def render_markdown(pack: dict) -> str:
    p = pack["period"]
    lines = [f"# Management review pack: {p['since']} to {p['until']}", "",
             f"Times in {p['timezone']}. Figures marked *at end* are as they stood on {p['until']}.", ""]
    if not pack["plans"]:
        lines += ["No plans on record.", ""]
    for plan in pack["plans"]:
        lines += _plan_md(plan)
    return "\n".join(lines).rstrip() + "\n"


def _plan_md(plan: dict) -> list[str]:
    c, a = plan["counts"], plan["actions"]
    lines = [f"## {md_inline(plan['title'])} (`{plan['id']}`)", "",
             f"- **Incidents:** {c['incidents']} · **Exercises:** {c['exercises']}",
             f"- **Reviews done:** {len(plan['reviews'])} · **Tests done:** {len(plan['tests'])}",
             f"- **Next review:** {plan['next_review'] or '—'}" + (" (overdue at end)" if plan["review_overdue_at_end"] else "")
             + f" · **Next test:** {plan['next_test'] or '—'}" + (" (overdue at end)" if plan["test_overdue_at_end"] else ""),
             f"- **Corrective actions:** {a['opened']} opened, {a['done']} done, {a['dropped']} dropped; "
             f"{a['open_at_end']} open at end, {a['overdue_at_end']} of them overdue",
             f"- **Recovery objectives:** {_objectives(plan['objectives'])}", ""]
    if plan["incidents"]:
        lines += ["### Incidents and exercises", "",
                  "| Ref | Kind | Circumstance | Activated | Stood down | Duration | Roll call | RTO / MTPD |",
                  "|---|---|---|---|---|---|---|---|"]
        for i in plan["incidents"]:
            what = "🔒 confidential" if i["confidential"] else md_inline(i["circumstance"])
            lines.append(f"| {i['ref']} | {'exercise' if i['exercise'] else 'incident'} | {what} | {i['activated_at']} | "
                         f"{i['stood_down_at'] or 'open at end'} | {duration(i['duration_seconds'])} | "
                         f"{'yes' if i['roll_call'] else 'no'} | {md_inline(_services(i['services']))} |")
        lines.append("")
    if plan["roll_calls"]:
        lines += ["### Roll calls", "", "| Of | Started | Asked | Answered | Not reached | 50% | 90% | 100% |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in plan["roll_calls"]:
            t = r["seconds_to_answered"]
            lines.append(f"| {r['incident'] or 'drill'} | {r['started_at']} | {r['asked']} | {r['answered']} | "
                         f"{r['not_reached']} | {duration(t['50%'])} | {duration(t['90%'])} | {duration(t['100%'])} |")
        lines.append("")
    if plan["reviews"] or plan["tests"]:
        lines += ["### Reviews and tests", ""]
        for r in plan["reviews"]:
            late = "on time" if r["on_time"] else "late"
            lines.append(f"- Review on {r['on']} by {md_inline(r['by_name'] or r['by'])} (due {r['was_due_on']}: {late})")
        for t in plan["tests"]:
            of = f" ({t['incident']})" if t["incident"] else ""
            lines.append(f"- Test on {t['held_on']}: {md_inline(t['type'])}{of}")
        lines.append("")
    if a["items"]:
        lines += ["### Corrective actions", "", "| Ref | Action | Owner | Due | Opened | At end |", "|---|---|---|---|---|---|"]
        for item in a["items"]:
            state = item["status_at_end"] + (", overdue" if item["overdue_at_end"] else "")
            lines.append(f"| {item['ref']} | {md_inline(item['title'])} | {md_inline(item['owner_name'] or item['owner'])} | "
                         f"{item['due_on']} | {item['opened_on']} | {state} |")
        lines.append("")
    if plan["management_reviews"]:
        lines += ["### Management reviews", ""]
        for mr in plan["management_reviews"]:
            lines.append(f"- {mr['ref']} on {mr['held_on']}: {len(mr['decisions'])} decisions, {mr['actions']} actions; "
                         f"attended by {md_inline(', '.join(mr['attendees'])) or '—'}")
            lines += [f"  - {md_inline(d)}" for d in mr["decisions"]]
        lines.append("")
    return lines


def _objectives(counts: dict) -> str:
    return "; ".join(f"{kind.upper()} {c['met']} met, {c['missed']} missed, {c['running']} running at end"
                     for kind, c in counts.items())


def _services(services: list[dict]) -> str:
    """'Web: RTO met, MTPD met; Mail: RTO missed' (services without objectives left out)."""
    said = []
    for s in services:
        parts = [f"{kind.upper()} {s[kind]}" for kind in ("rto", "mtpd") if s[kind]]
        if parts:
            said.append(f"{s['name']}: {', '.join(parts)}")
    return "; ".join(said) or "—"


# HTML -----------------------------------------------------------------------------------------------------
STYLE = """body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:60rem;color:#1d1c1d}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}
th{background:#f4f4f4}figure{margin:1rem 0}figcaption{font-size:.9rem;color:#555}svg{max-width:100%;height:auto}"""


def render_html(pack: dict) -> str:
    """One page: the Markdown's content as HTML, and per plan its charts (one inline <svg> each)."""
    p = pack["period"]
    title = f"Management review pack: {p['since']} to {p['until']}"
    body = [f"<h1>{html.escape(title)}</h1>",
            f"<p>Times in {html.escape(p['timezone'])}. Figures marked <em>at end</em> are as they stood on "
            f"{html.escape(p['until'])}.</p>"]
    for plan in pack["plans"]:
        body += _plan_html(plan, date.fromisoformat(p["since"]), date.fromisoformat(p["until"]))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _table(headers: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    cells = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>"


def _plan_html(plan: dict, since: date, until: date) -> list[str]:
    c, a = plan["counts"], plan["actions"]
    out = [f"<h2>{html.escape(plan['title'])} <code>{html.escape(plan['id'])}</code></h2>",
           _table(["Incidents", "Exercises", "Reviews done", "Tests done", "Next review", "Next test"],
                  [[c["incidents"], c["exercises"], len(plan["reviews"]), len(plan["tests"]),
                    (plan["next_review"] or "—") + (" (overdue at end)" if plan["review_overdue_at_end"] else ""),
                    (plan["next_test"] or "—") + (" (overdue at end)" if plan["test_overdue_at_end"] else "")]])]
    months = _months(since, until)
    per_month = Counter((i["activated_at"][:7], i["exercise"]) for i in plan["incidents"])
    out.append(_figure("Incidents and exercises by month of activation", _bars(
        [m for m in months], {"incidents": [per_month[(m, False)] for m in months],
                              "exercises": [per_month[(m, True)] for m in months]})))
    o = plan["objectives"]
    if any(sum(c.values()) for c in o.values()):
        out.append(_figure("Recovery objectives of the affected services: met, missed, running at the end", _bars(
            ["met", "missed", "running"], {kind.upper(): [o[kind][x] for x in ("met", "missed", "running")]
                                           for kind in ("rto", "mtpd")})))
    out.append(_figure("Corrective actions in the period, and as they stood at its end", _bars(
        ["opened", "done", "dropped", "open at end", "overdue at end"],
        {"actions": [a["opened"], a["done"], a["dropped"], a["open_at_end"], a["overdue_at_end"]]})))
    if plan["incidents"]:
        out.append("<h3>Incidents and exercises</h3>" + _table(
            ["Ref", "Kind", "Circumstance", "Activated", "Stood down", "Duration", "Roll call", "RTO / MTPD"],
            [[i["ref"], "exercise" if i["exercise"] else "incident", "confidential" if i["confidential"] else i["circumstance"],
              i["activated_at"], i["stood_down_at"] or "open at end", duration(i["duration_seconds"]),
              "yes" if i["roll_call"] else "no", _services(i["services"])] for i in plan["incidents"]]))
    if plan["roll_calls"]:
        labels = [r["incident"] or f"drill {r['started_at'][:10]}" for r in plan["roll_calls"]]
        out.append(_figure("Roll calls: minutes until 50%, 90% and 100% had answered", _bars(labels, {
            share: [round((r["seconds_to_answered"][share] or 0) / 60, 1) for r in plan["roll_calls"]]
            for share in ("50%", "90%", "100%")})))
        out.append(_table(["Of", "Started", "Asked", "Answered", "Not reached", "50%", "90%", "100%"], [
            [label, r["started_at"], r["asked"], r["answered"], r["not_reached"],
             *(duration(r["seconds_to_answered"][s]) for s in ("50%", "90%", "100%"))]
            for label, r in zip(labels, plan["roll_calls"], strict=True)]))
    if plan["reviews"] or plan["tests"]:
        out.append("<h3>Reviews and tests</h3>" + _table(["What", "On", "By or of", "Due", "On time"], [
            *(["review", r["on"], r["by_name"] or r["by"], r["was_due_on"], "yes" if r["on_time"] else "no"]
              for r in plan["reviews"]),
            *(["test: " + t["type"], t["held_on"], t["incident"] or "", "", ""] for t in plan["tests"])]))
    if a["items"]:
        out.append("<h3>Corrective actions</h3>" + _table(["Ref", "Action", "Owner", "Due", "Opened", "At end"], [
            [i["ref"], i["title"], i["owner_name"] or i["owner"], i["due_on"], i["opened_on"],
             i["status_at_end"] + (", overdue" if i["overdue_at_end"] else "")] for i in a["items"]]))
    for mr in plan["management_reviews"]:
        out.append(f"<h3>Management review {html.escape(mr['ref'])}, {html.escape(mr['held_on'])}</h3>"
                   f"<p>Attended by {html.escape(', '.join(mr['attendees']) or '—')}; {mr['actions']} actions.</p>"
                   + "<ul>" + "".join(f"<li>{html.escape(d)}</li>" for d in mr["decisions"]) + "</ul>")
    return out


def _months(since: date, until: date, most: int = 36) -> list[str]:
    months: list[str] = []
    year, month = since.year, since.month
    while (year, month) <= (until.year, until.month) and len(months) < most:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _figure(caption: str, svg: str) -> str:
    return f"<figure>{svg}<figcaption>{html.escape(caption)}</figcaption></figure>"


def _bars(labels: list[str], series: dict[str, list[float]]) -> str:
    """A grouped bar chart as an inline <svg> (no XML prolog, no metadata, no namespace URLs)."""
    import matplotlib

    matplotlib.use("svg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    with matplotlib.rc_context({"svg.hashsalt": "bcbot-review-pack", "svg.fonttype": "none", "font.size": 8}):
        fig, ax = plt.subplots(figsize=(max(4.0, min(10.0, 0.45 * len(labels) * len(series) + 2)), 2.6))
        width = 0.8 / max(1, len(series))
        for n, (name, values) in enumerate(series.items()):
            ax.bar([x + n * width for x in range(len(labels))], values, width, label=name,
                   color=CHART_COLOURS[n % len(CHART_COLOURS)])
        ax.set_xticks([x + width * (len(series) - 1) / 2 for x in range(len(labels))], labels,
                      rotation=45 if len(labels) > 6 else 0, ha="right" if len(labels) > 6 else "center")
        ax.spines[["top", "right"]].set_visible(False)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if len(series) > 1:
            ax.legend(frameon=False)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
        plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    return re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)
