"""The Slack users of the bundled example plan, as the fake workspace knows them."""
PARKS = "U0SPARKS01"  # owner and team (by Slack ID)
HUNTON = "U0HUNTON01"  # owner and team (by email)
HUNTON_EMAIL = "steve.hunton@wunderroot.example"
BAKER = "U0JBAKER01"  # team
OUTSIDER = "U0OUTSIDE1"  # any other member of the workspace
LEAD = "U0LEADER01"
ANNOUNCE = "C0ANNOUNCE"


def populate(fake) -> None:
    fake.add_user(PARKS, "Steve Parks")
    fake.add_user(HUNTON, "Steve Hunton", email=HUNTON_EMAIL)
    fake.add_user(BAKER, "Joe Baker")
    fake.add_user(OUTSIDER, "Olive Outsider")
    fake.add_user(LEAD, "Lee Lead")
    fake.add_channel(ANNOUNCE, "bc-announcements")
    fake.channels[ANNOUNCE].members.add(fake.bot_user_id)
    fake.add_channel("C0GENERAL", "general")
    fake.channels["C0GENERAL"].members.add(fake.bot_user_id)
