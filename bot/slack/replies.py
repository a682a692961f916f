"""The bot's plain-text answers to a command, shown only to the person who typed it."""
from __future__ import annotations

from bot.slack.mrkdwn import safe

HELP = """*bcbot — run the business continuity plan in Slack*
• `/activate` — activate a plan: opens a form (circumstance, what happened, services affected, lead). \
The Business Continuity Team activates at once; anyone else's request goes to the team for approval. \
Also App Home's *Activate* button and the *Activate a plan* shortcut.
• `/activate exercise` — start an exercise of a plan (marked as a drill everywhere; recorded as a test).
• `/activate decision [TEXT]` — in an incident channel: log a decision (with no text, opens the form). \
Also the *Log as decision* message shortcut.
• `/activate action TEXT` — in an incident channel: record a corrective action, yours, due in 14 days (its card \
has *Edit* to change the owner and date). Owners are reminded by DM until it is done.
• `/activate plan [ID]` — read the plan: phases, steps and who does them, the team, contact details. \
Also *View plan* in App Home.
• `/activate drill [PLAN]` — a roll call on its own (everyone in the plan asked by DM if they are safe), \
recorded as a call-tree test; the tally comes to your DM.
• `/activate answer MEMBER safe|cant-work|need-help` — in an incident channel: record someone's roll-call \
answer for them (the lead or the team; the record says who).
• `/activate role MEMBER ROLE` — in an incident channel: hand a role (and its open steps) to someone (the lead \
or the team).
• `/activate status` — list open incidents.
• `/activate help` — this message.
Your part in a plan (your roles, steps and who covers you) comes as a DM card when the plan's owners send the \
cards (`bcbot roles send`): press *Got it* once you have read it. App Home shows it too.
In an incident channel: the checklist's *Mark done* / *Reopen*, *Assign* and *⋯* (note, not applicable) on each \
step; on the pinned header *Next phase →*, *📌 Log decision*, *📣 Post update* and *🛑 Stand down* (the lead \
or the team)."""


def unknown_command(name: str) -> str:
    return f"I don't know `{safe(name, 40)}`.\n\n{HELP}"


def status_text(lines: list[str]) -> str:
    if not lines:
        return "No open incidents. 🌤️"
    shown = lines[:30]
    more = f"\n…and {len(lines) - len(shown)} more" if len(lines) > len(shown) else ""
    return f"*Open incidents ({len(lines)})*\n" + "\n".join(f"• {line}" for line in shown) + more
