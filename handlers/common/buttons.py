"""Button families more than one module uses, and every global one.

A global family (registered with ``Registry.add_global_payload``) works from any
conversation state: its buttons are answered wherever the person is, and each press checks
the presser's role. They are declared here once, because flows of all three user packages
send them (a participant's reminder carries ``rsvp``, a coordinator's notice ``mt``). The
families a single flow's steps take are declared in that flow's module.
"""

from __future__ import annotations

from handlers.core.flow import ButtonFamily

# --- answers several flows' steps take -----------------------------------------------------
YES = ButtonFamily("yes")
NO = ButtonFamily("no")
SKIP = ButtonFamily("skip")

# --- global ---------------------------------------------------------------------------------
COMMAND = ButtonFamily("cmd")  # cmd:<command name>: as if typed
GO = ButtonFamily("go")  # go:<flow>: start a flow
LANGUAGE = ButtonFamily("lang")  # lang:<code>
PRIVACY = ButtonFamily("privacy")  # privacy:more
RSVP = ButtonFamily("rsvp")  # rsvp:<occurrence>:yes|no|other
RATE = ButtonFamily("rate")  # rate:<occurrence>:1…5|x
CHECK_IN = ButtonFamily("checkin")  # checkin:<occurrence>:talk
MINE = ButtonFamily("omat")  # omat:ics, omat:remind[:<project>], omat:leave
REMINDER_SETTING = ButtonFamily("remset")  # remset:<project>:<choice>
EXIT_ANSWER = ButtonFamily("exitq")  # exitq:<project>:<category>
INVITE = ButtonFamily("inv")  # inv:revoke:<invite>
MEETING = ButtonFamily("mt")  # mt:<action>:…, the coordinators' meeting views
BROADCASTS = ButtonFamily("bcx")  # bcx:cancel:<id>, bcx:missing:<id>
REPORT = ButtonFamily("rep")  # rep:<kind>:<project>
COORDINATOR = ButtonFamily("coord")  # coord:<action>:…
AUDIT = ButtonFamily("audit")  # audit:csv
QUIT = ButtonFamily("quit")  # quit:yes|no, the answer to "throw this away?" of /peru
UNDO = ButtonFamily("undo")  # undo:rsvp|rate|exit:…, a typed answer taken back
OPEN_ITEM = ButtonFamily("oi")  # oi:reply|done|time:<open item>, coordinators' answers
