"""A stand-in for the Slack Web API on loopback, answering the methods bcbot uses as Slack does.

Used by the tests (over real HTTP, through SLACK_API_URL) and by `bcbot demo`. It records every call,
keeps channels, messages, pins, views and uploaded files, and can be told to answer with Slack's errors:
`name_taken`, `users_not_found`, `expired_trigger_id`, HTTP 429 with Retry-After, HTTP 5xx, or slowly.
A test can name the hostile tokens it injected (`forbid_live`): every place one reaches the fake where Slack
would make it a live mention or link is recorded in `live` (bot.tools.fakeslack.live).

The fake itself is in `fake`, the methods it answers in `methods` (Slack's limits in `limits`), its HTTP server
in `server`; `sender` posts to a bcbot as Slack does, and `plaintext` shows a message as a person would see it.
"""
from bot.tools.fakeslack.fake import APP_TOKEN_METHODS, DEFAULT_SCOPES, FakeSlack
from bot.tools.fakeslack.model import Call, Channel, Fault, SlackError, User
from bot.tools.fakeslack.plaintext import readable
from bot.tools.fakeslack.sender import TEAM_ID, Reply, SlackSender, sign
from bot.tools.fakeslack.server import FORM_ONLY_METHODS, JSON_KEYS

__all__ = ["APP_TOKEN_METHODS", "DEFAULT_SCOPES", "FORM_ONLY_METHODS", "JSON_KEYS", "TEAM_ID", "Call", "Channel", "FakeSlack",
           "Fault", "Reply", "SlackError", "SlackSender", "User", "readable", "sign"]
