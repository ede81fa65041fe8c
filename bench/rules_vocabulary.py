"""The words of the recurrence corpus (bench/rules_corpus.py): services, their parts and
symptoms, the frames wordings are built from, and the one-off noise.

Kept apart from the generator so the generator reads as a procedure, and apart from the
detector (core/rules) so nothing here is tuned to it.
"""

from __future__ import annotations

# Symptoms by kind of service: (verb phrases, noun phrases). ``{slot}`` is filled per
# incident (a host name, an error code...), ``<slot>`` once per pattern.
SYMPTOMS: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "network": [
        (
            ("keeps disconnecting", "drops every few minutes", "disconnects randomly"),
            ("frequent disconnects", "connection drops", "random disconnections"),
        ),
        (("fails to connect", "won't connect", "cannot connect"), ("connection failure",)),
        (("is very slow", "has high latency"), ("slow performance", "high latency")),
        (
            ("rejects valid credentials", "fails authentication"),
            ("authentication failure", "login rejected"),
        ),
        (("times out after {n} seconds", "hits a timeout"), ("timeout errors", "timeouts")),
        (
            ("shows a certificate warning", "reports an expired certificate"),
            ("certificate error", "untrusted certificate warning"),
        ),
        (
            ("cannot resolve {host}", "fails name resolution for {host}"),
            ("name resolution failure for {host}", "DNS lookup errors"),
        ),
        (("loses packets to {ip}", "shows packet loss"), ("packet loss", "dropped packets")),
        (("gets no IP address", "receives no DHCP lease"), ("no DHCP lease", "missing IP")),
        (("fails with error {code}", "throws error {code}"), ("error {code}", "{code} error")),
        (
            ("broke after the latest update", "stopped working after patching"),
            ("failure after update", "regression after patch"),
        ),
        (("works only intermittently", "is flaky"), ("intermittent outage", "flaky link")),
        (("is down", "is not reachable", "is unavailable"), ("outage", "total outage")),
        (
            ("asks to log in repeatedly", "loops on the login page"),
            ("login loop", "repeated sign-in prompts"),
        ),
        (
            ("lost its configuration", "reverted to default settings"),
            ("configuration lost", "settings reset"),
        ),
        (("caps at {n} Mbps", "has very low bandwidth"), ("low throughput", "bandwidth drop")),
        (
            ("never receives the MFA push", "fails at the MFA step"),
            ("MFA push not arriving", "MFA failure"),
        ),
        (("crashes when connecting", "client crashes on start"), ("client crash",)),
        (("blocks access to {host}", "is blocking {host}"), ("access blocked to {host}",)),
        (
            ("routes all traffic through the tunnel", "ignores the split tunnel list"),
            ("wrong routing", "routing issue"),
        ),
    ],
    "app": [
        (("times out at login", "hangs on sign-in"), ("login timeout", "sign-in hangs")),
        (
            ("crashes on start", "closes unexpectedly", "crashes when opening {n} items"),
            ("crash on start", "unexpected shutdown", "application crash"),
        ),
        (("is extremely slow", "takes minutes to load"), ("slow response", "long load times")),
        (("fails with {code}", "shows error {code}"), ("error {code}", "runtime error {code}")),
        (("cannot save changes", "fails to save"), ("save failure", "changes not saved")),
        (("does not sync", "stopped syncing"), ("sync failure", "sync stuck at {pct}")),
        (("denies access", "says access denied"), ("access denied", "missing permissions")),
        (("returns empty reports", "shows wrong totals"), ("empty report", "wrong totals")),
        (("fails to export to PDF", "cannot export to Excel"), ("export failure",)),
        (("says the licence expired", "reports no valid licence"), ("licence error",)),
        (
            ("cannot open attachments", "rejects attachments over {n} MB"),
            ("attachment error", "attachment upload fails"),
        ),
        (
            ("sends no notifications", "sends duplicate notifications"),
            ("missing notifications", "duplicate notification emails"),
        ),
        (("search returns nothing", "search is broken"), ("broken search", "no search hits")),
        (("freezes", "becomes unresponsive", "hangs"), ("freeze", "not responding")),
        (("logs users out every few minutes", "drops the session"), ("forced logouts",)),
        (("shows missing records", "lost data since {date}"), ("missing data",)),
        (("nightly job did not run", "batch job {ticket} failed"), ("failed batch job",)),
        (("fails to update", "update stuck at {pct}"), ("update failure", "stuck update")),
        (("renders blank pages", "shows a white screen"), ("blank page", "white screen")),
        (
            ("stops sending data to {host}", "fails to reach {host}"),
            ("interface failure", "integration error to {host}"),
        ),
        (("creates duplicate entries", "posts documents twice"), ("duplicate entries",)),
    ],
    "hardware": [
        (("is offline", "shows as offline", "went offline"), ("offline", "device offline")),
        (("does not power on", "won't boot"), ("no power", "boot failure")),
        (("overheats", "gets hot and shuts down"), ("overheating", "thermal shutdown")),
        (("battery drains fast", "does not charge"), ("battery drain", "charging failure")),
        (("screen flickers", "shows no picture"), ("flickering screen", "no display")),
        (("makes a loud noise", "fan is very loud"), ("loud fan", "strange noise")),
        (("driver is missing", "needs a driver update"), ("driver error", "missing driver")),
        (("is not detected", "is not recognised over USB"), ("device not detected",)),
        (("bluescreens with {code}", "crashes with a BSOD"), ("BSOD {code}", "blue screen")),
        (("takes ages to start", "is very slow"), ("slow boot", "poor performance")),
        (("disk is full", "reports disk errors"), ("disk full", "SMART disk warning")),
        (("won't pair", "loses the Bluetooth connection"), ("pairing failure",)),
        (("has no sound", "microphone is not working"), ("no audio", "microphone failure")),
        (("queue is stuck", "jobs stay pending"), ("stuck queue", "pending jobs")),
        (("shows an error light", "displays error {code}"), ("error {code} on display",)),
        (("has a cracked screen", "has broken keys"), ("cracked screen", "broken keys")),
        (("firmware update failed", "is stuck in firmware update"), ("firmware failure",)),
        (
            ("asks for the BitLocker recovery key", "is locked by BitLocker"),
            ("BitLocker recovery prompt", "BitLocker lockout"),
        ),
        (("paper jams constantly", "jams on every job"), ("paper jam", "constant paper jams")),
        (("says toner low", "prints faded pages"), ("toner low", "faded prints")),
    ],
    "account": [
        (("account is locked", "gets locked out repeatedly"), ("account lockout",)),
        (("password expired", "cannot change password"), ("expired password",)),
        (("MFA push not received", "MFA code rejected"), ("MFA failure", "rejected MFA code")),
        (
            ("fails with SAML error {code}", "returns an invalid SAML response"),
            ("SAML error {code}", "invalid SAML assertion"),
        ),
        (
            ("new user not provisioned", "provisioning failed for {user}"),
            ("provisioning failure", "missing account for new starter"),
        ),
        (("leaver still has access", "account not disabled"), ("deprovisioning failure",)),
        (("redirects in a loop", "loops between login pages"), ("redirect loop",)),
        (("token expires too early", "refresh token invalid"), ("token expiry",)),
        (("denies access to {host}", "says user not assigned"), ("app not assigned",)),
        (
            ("attributes not syncing from HR", "profile not updated"),
            ("attribute sync failure", "stale profile data"),
        ),
        (("fails due to clock skew", "rejects tokens issued in the future"), ("clock skew",)),
        (("reset link does not arrive", "reset link expired"), ("missing reset email",)),
        (
            ("signing certificate expired", "certificate rollover broke login"),
            ("expired signing certificate",),
        ),
        (("group membership missing", "role not applied"), ("missing group membership",)),
    ],
}

# Services: (name, category, kind, components with synonyms, extra specific symptoms).
_Symptom = tuple[tuple[str, ...], tuple[str, ...]]
SERVICES: list[tuple[str, str, str, list[tuple[str, ...]], list[_Symptom]]] = [
    ("vpn", "network", "network", [
        ("VPN", "GlobalProtect VPN", "VPN client"), ("VPN tunnel", "remote access tunnel"),
        ("VPN gateway <site>", "<site> VPN gateway"), ("always-on VPN",),
    ], []),
    ("wifi-hq", "network", "network", [
        ("Wi-Fi on floor <floor>", "WLAN floor <floor>"), ("corporate Wi-Fi", "CorpNet WLAN"),
        ("guest Wi-Fi", "guest WLAN"), ("access point <ap>", "AP <ap>"),
    ], []),
    ("wifi-branch", "network", "network", [
        ("<site> Wi-Fi", "branch WLAN <site>"), ("<site> access point <ap>",),
    ], []),
    ("lan", "network", "network", [
        ("network port in room <room>", "wall socket <room>"), ("switch <switch>",),
        ("wired network", "LAN connection"),
    ], []),
    ("dns", "network", "network", [("internal DNS", "DNS resolver"), ("DNS server <server>",)], []),
    ("proxy", "network", "network", [("web proxy", "Zscaler proxy"), ("PAC file",)], []),
    ("firewall", "network", "network", [("perimeter firewall", "firewall <switch>")], []),
    ("citrix", "application", "network", [
        ("Citrix Workspace", "Citrix receiver"), ("Citrix session", "published desktop"),
        ("Citrix app <app>",),
    ], []),
    ("remote-desktop", "network", "network", [
        ("RDP session", "remote desktop"), ("jump host <server>",),
    ], []),
    ("email", "email", "app", [
        ("Outlook", "Outlook client"), ("mailbox", "user mailbox"), ("shared mailbox <share>",),
        ("Exchange Online", "mail server"), ("Outlook calendar", "calendar"),
        ("distribution list <share>",),
    ], [
        (("is full", "has no space left", "is over quota"), ("mailbox full", "quota exceeded")),
        (("stuck in outbox", "not sent"), ("messages stuck in outbox",)),
        (("bounces external mail with {code}",), ("NDR {code}", "bounced emails")),
        (("not delivering meeting invites",), ("invites not delivered",)),
    ]),
    ("sap-erp", "erp", "app", [
        ("SAP", "SAP GUI", "SAP ERP"), ("SAP login", "SAP logon pad"),
        ("SAP transaction <tcode>", "<tcode> in SAP"), ("SAP Fiori launchpad", "Fiori"),
        ("SAP print output", "SAP spool"),
    ], [(("short dump {code}", "dumps with {code}"), ("ABAP short dump {code}",))]),
    ("crm", "application", "app", [
        ("Salesforce", "CRM", "Salesforce CRM"), ("CRM dashboard",),
        ("lead import", "CSV lead import"),
    ], []),
    ("teams", "collaboration", "app", [
        ("Teams", "Microsoft Teams", "MS Teams"), ("Teams meetings", "Teams call"),
        ("Teams chat",), ("Teams channel <share>",),
    ], []),
    ("sharepoint", "collaboration", "app", [
        ("SharePoint site <share>", "<share> SharePoint"), ("intranet page", "intranet"),
        ("document library <share>",),
    ], []),
    ("onedrive", "collaboration", "app", [("OneDrive", "OneDrive client"), ("OneDrive sync",)], []),
    ("office", "software", "app", [
        ("Excel", "MS Excel"), ("Word", "MS Word"), ("PowerPoint",), ("Office activation",),
    ], []),
    ("hr-portal", "hr", "app", [
        ("HR portal", "Workday"), ("leave request form", "holiday request"), ("payslip viewer",),
    ], []),
    ("payroll", "hr", "app", [("payroll run", "payroll"), ("payroll export",)], []),
    ("expenses", "finance", "app", [("expense app", "Concur"), ("receipt upload",)], []),
    ("bi-reporting", "reporting", "app", [
        ("Power BI dashboard <app>", "<app> dashboard"), ("sales report",),
        ("data warehouse refresh", "DWH load"),
    ], []),
    ("confluence", "collaboration", "app", [
        ("Confluence", "wiki"), ("Confluence space <share>",),
    ], []),
    ("service-portal", "application", "app", [
        ("self-service portal", "IT portal"), ("catalog item <app>",),
    ], []),
    ("zoom", "collaboration", "app", [("Zoom", "Zoom client"), ("Zoom Rooms",)], []),
    ("adobe", "software", "app", [("Adobe Acrobat", "Acrobat Reader"), ("Creative Cloud",)], []),
    ("browser", "software", "app", [("Chrome", "Google Chrome"), ("Edge", "MS Edge")], []),
    ("warehouse", "erp", "app", [("warehouse scanner app", "picking app"), ("picking list",)], []),
    ("webshop", "application", "app", [("web shop checkout", "checkout"), ("payment page",)], []),
    ("oracle-db", "database", "app", [
        ("Oracle DB <server>", "database <server>"), ("tablespace <tcode>",),
    ], [
        (("ORA-12170 on connect", "listener refuses connections"), ("ORA-12170", "listener down")),
    ]),
    ("printing", "hardware", "hardware", [
        ("printer <printer> on floor <floor>", "floor <floor> printer <printer>", "<printer>"),
        ("print server", "PaperCut"), ("label printer <printer>",), ("scanner on floor <floor>",),
    ], []),
    ("laptop", "hardware", "hardware", [
        ("laptop", "notebook", "ThinkPad"), ("docking station", "dock"), ("touchpad",),
        ("keyboard",),
    ], []),
    ("desktop", "hardware", "hardware", [("workstation", "desktop PC"), ("CAD workstation",)], []),
    ("monitor", "hardware", "hardware", [
        ("external monitor", "second screen"), ("USB-C monitor",),
    ], []),
    ("mobile", "hardware", "hardware", [
        ("iPhone", "company iPhone"), ("Android phone",), ("Intune app",),
    ], []),
    ("meeting-room", "facilities", "hardware", [
        ("meeting room display <room>", "screen in room <room>"), ("room booking panel <room>",),
        ("conference speaker", "room speakerphone"),
    ], []),
    ("badge-access", "facilities", "hardware", [
        ("badge reader <site>", "door reader at <site>"),
    ], []),
    ("headset", "hardware", "hardware", [("headset", "Jabra headset"), ("webcam",)], []),
    ("file-share", "storage", "app", [
        ("file server <server>", "share \\\\<server>\\<share>"), ("H: drive",),
    ], [
        (("drive not mapped", "mapping disappears at logon"), ("unmapped drive",)),
    ]),
    ("sso", "identity", "account", [("single sign-on", "SSO"), ("SSO for <app>", "<app> SSO")], []),
    ("okta", "identity", "account", [("Okta", "Okta dashboard"), ("Okta Verify",)], []),
    ("active-directory", "identity", "account", [
        ("AD account", "domain login"), ("Windows login",),
    ], []),
    ("mfa", "identity", "account", [("MFA", "two-factor login"), ("authenticator app",)], []),
    ("password-reset", "identity", "account", [
        ("password reset", "self-service password reset"),
    ], []),
    ("access-management", "identity", "account", [("access request <app>", "role for <app>")], []),
]  # fmt: skip

SERVICE_WEIGHTS = {"vpn": 3, "email": 4, "teams": 3, "printing": 3, "laptop": 3, "sso": 2}

# Pattern wordings: V = verb phrase, N = noun phrase, C = component.
V_FRAMES = (
    "{C} {V}",
    "{C} {V} again",
    "user reports {C} {V}",
    "{C} {V} for {{user}}",
    "{C} {V} on {{host}}",
    "{C}: {V}",
    "my {C} {V}",
    "{C} {V} since {{date}}",
    "again {C} {V}",
    "{C} {V} - several users affected",
    "{{user}}: {C} {V}",
    "{{user}} says {C} {V}",
    "{C} {V} ({{user}})",
    "{C} {V} for {{user}} on {{host}}",
)
N_FRAMES = ("{N} on {C}", "{N} - {C}", "{C} {N}", "{N} with {C}", "{C}: {N}", "{C} - {N} again")
PREFIXES = ("urgent: ", "URGENT - ", "Re: ", "FW: ", "again: ", "[{site}] ", "P2 - ", "help: ")
SUFFIXES = (
    " again",
    " - urgent",
    " (again)",
    " since this morning",
    " after reboot",
    " for the whole team",
    " - ref {ticket}",
    " on {host}",
    " - please help",
)
DETAILS = (
    "Device {host}.",
    "IP address {ip}.",
    "Error code {code}.",
    "Reported by {user}.",
    "Started around {date}.",
    "Affects about {n} users.",
    "Possibly related to {ticket}.",
    "Rebooting did not help.",
    "User works from home today.",
    "Screenshot attached.",
    "Seen on {host} and {host}.",
    "Cleared cache, no change.",
    "Happens at {pct} CPU.",
)

# Noise: actions × (adjective noun objects) × contexts, so one-offs rarely look alike.
NOISE_ACTIONS = (
    "need access to", "please install", "cannot find", "how do I configure", "request to change",
    "error opening", "problem with", "cannot print from", "move", "rename", "restore deleted",
    "order new", "replace", "update", "remove", "share", "set up", "question about",
    "need help with", "cannot delete", "recover", "extend", "transfer", "archive", "upgrade",
    "reinstall", "licence for", "quote for", "return", "book", "cancel", "reset", "unlock",
    "duplicate", "migrate", "merge", "export", "import", "clean up", "check", "approve",
    "translate", "copy", "sign", "scan", "fix formatting in", "change owner of", "hide",
)  # fmt: skip
NOISE_ADJECTIVES = (
    "old", "new", "shared", "team", "personal", "finance", "marketing", "spare", "second",
    "wireless", "project", "legal", "archived", "temporary", "external", "guest", "test",
    "backup", "quarterly", "sales", "HR", "customer", "vendor", "training", "board", "audit",
    "regional", "yearly", "draft", "signed", "broken", "missing", "large", "encrypted",
)  # fmt: skip
NOISE_NOUNS = (
    "Visio", "folder", "calendar", "template", "spreadsheet", "presentation", "macro",
    "distribution list", "mailbox rule", "signature", "desk phone", "headset", "mouse",
    "keyboard", "monitor arm", "laptop bag", "USB stick", "smartcard", "certificate", "font",
    "plugin", "add-in", "browser bookmark", "desktop shortcut", "wallpaper", "locker",
    "parking permit", "name badge", "business cards", "SIM card", "contract", "invoice",
    "purchase order", "timesheet", "org chart", "floor plan", "training video", "survey",
    "form", "workflow", "approval chain", "cost centre", "vendor record", "price list",
    "product photo", "newsletter", "webinar", "booking", "room", "projector", "whiteboard",
    "printer tray", "drawing", "CAD licence", "Python install", "R package", "Git repo",
    "Jenkins job", "API key", "test account", "sandbox", "VM", "DNS entry", "SSL cert",
    "static IP", "port", "firewall exception", "shared drive", "team site", "wiki page",
    "chat channel", "voicemail", "call forwarding", "phone number", "email alias",
)  # fmt: skip
NOISE_CONTEXTS = (
    "", "", "", " for new starter {user}", " in building {site}", " before Friday",
    " for project {n}", " after office move", " on {host}", " - ref {ticket}", " asap",
    " by {date}", " for {user}", " please", " for the audit", " for the offsite",
    " - see {ticket}", " on floor {n}", " in room {n}", " for the {site} team",
)  # fmt: skip
NOISE_FRAMES = (
    "{A} {O}{X}",
    "{O}: {A}{X}",
    "Request - {A} {O}{X}",
    "{A} the {O}{X}",
    "question: {A} {O}{X}",
    "{O} - {A}{X}",
)

FIRST = (
    "anna", "ben", "carla", "david", "elena", "felix", "greta", "hugo", "ines", "jonas",
    "karin", "lukas", "maria", "nils", "olga", "paul", "queenie", "rafael", "sara", "tom",
    "ute", "victor", "wen", "xavier", "yusuf", "zoe", "amir", "bea", "chen", "dana",
    "emil", "fatima", "georg", "hana", "igor", "julia", "kofi", "lena", "milan", "nora",
)  # fmt: skip
LAST = (
    "schmidt", "meyer", "novak", "garcia", "rossi", "smith", "kowalski", "dubois", "jensen",
    "tanaka", "silva", "otieno", "haddad", "larsen", "murphy", "berg", "kaya", "weber",
    "fischer", "lopez", "kim", "nguyen", "ivanova", "costa", "patel", "okafor", "muller",
    "horvat", "svensson", "moreau", "bianchi", "wagner", "popescu", "cohen", "ali", "chan",
)  # fmt: skip
DEPARTMENTS = (
    "finance", "sales", "marketing", "hr", "it", "legal", "operations", "logistics",
    "engineering", "customer-service", "procurement", "research", "facilities", "executive",
)  # fmt: skip
SITES = (
    "berlin", "munich", "hamburg", "vienna", "zurich", "lyon", "madrid", "warsaw",
    "prague", "milan", "leeds", "dublin", "austin", "toronto", "pune", "singapore",
)  # fmt: skip
CODES = (
    "0x80070005", "0x800CCC0E", "0x80004005", "0x8007000E", "0xC004F074", "ORA-12170",
    "ORA-01017", "HTTP 503", "HTTP 401", "AADSTS50076", "AADSTS700016", "E1234", "ERR_PROXY",
    "SSL_ERROR_BAD_CERT", "KB5034441", "809", "789", "412", "DUMP_TSV_TABLE",
)  # fmt: skip
TCODES = ("VA01", "ME21N", "FB60", "MIGO", "SE16", "MM03", "F110", "CO11N", "TS_DATA", "USERS")
APPS = (
    "Salesforce", "Workday", "SAP", "Jira", "GitHub", "Tableau", "Concur", "Coupa",
    "ServiceNow", "Miro", "Figma", "DocuSign", "Box", "Slack", "Atlassian", "Finance360",
)  # fmt: skip
HOURS = (8, 8, 9, 9, 9, 10, 10, 10, 11, 11, 12, 13, 13, 14, 14, 15, 15, 16, 16, 17, 18, 20, 2)

JIRA_PROJECTS = {"network": "NET", "app": "APP", "hardware": "HW", "account": "IAM"}


# Paraphrase: whole phrases a reporter may use instead of another (applied to a pattern's
# wordings when the pattern is made, so one cause reads several ways, as people write it).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "keeps disconnecting": ("keeps dropping", "cuts out all the time", "loses connection"),
    "drops every few minutes": ("cuts out every few minutes", "disconnects every 5 min"),
    "disconnects randomly": ("drops out randomly", "loses the connection at random"),
    "frequent disconnects": ("constant drop-outs", "unstable connection"),
    "connection drops": ("lost connection", "dropped connections"),
    "fails to connect": ("can't connect", "unable to connect", "connection refused"),
    "won't connect": ("doesn't connect", "not connecting"),
    "cannot connect": ("can't get connected", "unable to get connected"),
    "is very slow": ("is sluggish", "is painfully slow", "is laggy"),
    "is extremely slow": ("is super slow", "crawls", "is sluggish"),
    "takes minutes to load": ("loads forever", "takes ages to open"),
    "slow performance": ("sluggish performance", "poor performance"),
    "crashes on start": ("dies on launch", "crashes at startup", "won't start"),
    "closes unexpectedly": ("quits by itself", "shuts down without warning"),
    "freezes": ("locks up", "hangs constantly"),
    "becomes unresponsive": ("stops responding", "is frozen"),
    "does not sync": ("isn't syncing", "won't sync", "not syncing"),
    "stopped syncing": ("no longer syncs", "sync stopped"),
    "sync failure": ("sync error", "synchronisation failed"),
    "cannot save changes": ("can't save", "unable to save my changes"),
    "fails to save": ("won't save", "save does not work"),
    "denies access": ("refuses access", "blocks access"),
    "says access denied": ("shows permission denied", "returns 403 forbidden"),
    "is offline": ("is not online", "shows disconnected"),
    "does not power on": ("won't turn on", "is dead, no power"),
    "won't boot": ("doesn't start up", "stuck at boot"),
    "times out at login": ("times out when signing in", "login takes forever and fails"),
    "hangs on sign-in": ("stuck at sign in", "hangs at the login screen"),
    "account is locked": ("account locked out", "locked out of my account"),
    "gets locked out repeatedly": ("keeps locking my account", "lockouts every day"),
    "password expired": ("password no longer valid", "password has expired"),
    "is down": ("is not working", "is dead", "is broken"),
    "is not reachable": ("can't be reached", "is unreachable"),
    "is unavailable": ("not available", "cannot be accessed"),
    "paper jams constantly": ("keeps jamming", "jams all the time"),
    "queue is stuck": ("queue hangs", "jobs stuck in queue"),
    "sends no notifications": ("notifications missing", "no alerts arrive"),
    "search returns nothing": ("search finds nothing", "no search results"),
    "fails to update": ("update fails", "won't update"),
    "does not charge": ("won't charge", "not charging"),
    "screen flickers": ("display flickers", "flickering display"),
    "has no sound": ("no audio", "sound not working"),
    "is not detected": ("isn't recognised", "not found by the PC"),
}

# Causes people describe in words that share little or nothing: (service, wordings). A
# pattern made from one uses these wordings as they are (people and hosts still vary).
CAUSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("teams", (
        "Teams calls drop every Monday", "can't stay in a Teams meeting past ten minutes",
        "conferencing unstable again - code {code}", "Teams meeting disconnects after a while",
        "video calls keep dropping out", "kicked out of Teams calls",
    )),
    ("payroll", (
        "AP invoice run did not start", "supplier payment file failed",
        "vendor payments not sent to the bank", "payment run F110 stuck",
        "bank transfer file for suppliers missing",
    )),
    ("email", (
        "shared calendar won't open in Outlook", "cannot see colleagues' calendars",
        "delegate calendar access broken", "calendar sharing not working for {user}",
        "Outlook says you don't have permission to view this calendar",
    )),
    ("laptop", (
        "laptop wakes up with no Wi-Fi", "no network after sleep",
        "wireless gone after resuming from standby", "have to reboot to get Wi-Fi back",
        "Wi-Fi adapter disappears after hibernate",
    )),
    ("printing", (
        "print jobs vanish on floor {n}", "sent to printer but nothing comes out",
        "printouts never arrive", "printing does nothing, queue looks empty",
        "documents disappear when printing",
    )),
    ("sap-erp", (
        "goods receipt posting hangs", "MIGO freezes when saving",
        "can't book incoming deliveries", "warehouse receipts stuck in SAP",
        "delivery confirmation takes forever",
    )),
    ("vpn", (
        "home office connection unusable in the afternoon", "remote work impossible after 2pm",
        "VPN crawls every afternoon", "working from home is painfully slow after lunch",
        "tunnel speed collapses in the afternoon",
    )),
    ("sso", (
        "keeps asking me to sign in again", "logged out of every app each hour",
        "session expires constantly", "have to re-enter my password all day",
        "single sign-on forgets me",
    )),
    ("crm", (
        "opportunities vanish from pipeline view", "deals missing from forecast",
        "pipeline report lost records", "sales forecast shows fewer deals than yesterday",
    )),
    ("hr-portal", (
        "holiday requests stuck in approval", "manager cannot approve leave",
        "vacation request never reaches my boss", "leave approvals not arriving",
    )),
    ("bi-reporting", (
        "dashboards show yesterday's numbers", "sales figures not refreshed",
        "overnight data load missing", "reports are a day behind",
    )),
    ("onedrive", (
        "files show red cross in explorer", "documents not uploading to the cloud",
        "OneDrive stuck on processing changes", "changes on my laptop never reach the cloud",
    )),
    ("mfa", (
        "authenticator prompt never arrives", "no push notification for login",
        "phone doesn't get the approval request", "stuck waiting for MFA approval",
    )),
    ("meeting-room", (
        "room screen won't show my laptop", "HDMI in room {n} gives no picture",
        "can't present in the meeting room", "meeting room display stays black",
    )),
    ("file-share", (
        "H: drive missing after login", "network drive not mapped this morning",
        "my home drive is gone", "can't find my personal drive",
    )),
    ("webshop", (
        "customers can't complete checkout", "orders fail at payment",
        "web shop payment step errors out", "checkout button does nothing",
    )),
)  # fmt: skip

# One-off requests of one form about many different things: they look alike and are not
# one cause. (service, form); ``{software}``, ``{folder}``... are drawn per incident.
REQUEST_FORMS: tuple[tuple[str, str], ...] = (
    ("laptop", "Install {software} on my laptop"),
    ("laptop", "Please install {software}"),
    ("desktop", "Install {software} on my PC"),
    ("office", "Need a licence for {software}"),
    ("file-share", "Access to the {folder} share"),
    ("file-share", "Need write access to {folder} folder"),
    ("sharepoint", "Access to the {folder} SharePoint site"),
    ("email", "Add me to the {folder} distribution list"),
    ("email", "Create shared mailbox for {folder}"),
    ("access-management", "Need the {folder} role in {app}"),
    ("monitor", "Order a {device} for my desk"),
)
REQUEST_SOFTWARE = tuple(
    f"{vendor} {product}".strip()
    for vendor, products in (
        ("Microsoft", ("Visio", "Project", "Power BI Desktop", "Teams Premium", "Access")),
        ("Adobe", ("Photoshop", "Illustrator", "InDesign", "Premiere", "Acrobat Pro")),
        ("", ("Python", "R", "RStudio", "Git", "Docker Desktop", "Node.js", "Postman")),
        ("", ("VS Code", "IntelliJ", "PyCharm", "Eclipse", "Notepad++", "7-Zip", "WinSCP")),
        ("", ("PuTTY", "FileZilla", "Wireshark", "Tableau", "Qlik Sense", "SPSS", "Stata")),
        ("", ("MATLAB", "AutoCAD", "SolidWorks", "Revit", "SketchUp", "Blender", "GIMP")),
        ("", ("Zoom", "Webex", "Slack", "Miro", "Figma", "Lucidchart", "Camtasia", "Snagit")),
        ("", ("KeePass", "Firefox", "Chrome", "Thunderbird", "VLC", "Audacity", "OBS")),
        ("SAP", ("GUI", "Analysis for Office", "Lumira")),
        ("Oracle", ("SQL Developer", "Java")),
    )
    for product in products
)
REQUEST_FOLDERS = tuple(
    f"{team} {project}"
    for team in ("Finance", "Sales", "HR", "Legal", "Marketing", "Procurement", "Audit",
                 "Board", "Research", "Logistics", "Facilities", "Treasury")
    for project in ("Apollo", "Borealis", "Cobalt", "Delta", "Ember", "Falcon", "Granite",
                    "Harbor", "Iris", "Juniper", "Kestrel", "Lumen", "Meridian", "Nimbus",
                    "Onyx", "Pioneer", "Quartz", "Redwood", "Summit", "Tundra", "Umbra",
                    "Vertex", "Willow", "Zephyr", "Reports", "Contracts", "Archive",
                    "Budget", "Templates", "Planning")
)  # fmt: skip
REQUEST_DEVICES = (
    "iPhone 15", "Android phone", "SIM card", "docking station", "27-inch monitor",
    "USB-C hub", "wireless keyboard", "ergonomic mouse", "headset", "webcam", "laptop stand",
    "second monitor", "tablet", "charger", "privacy filter",
)  # fmt: skip

# More symptoms by kind, drawn only once a service's problems above are all taken (past
# some 2,200 patterns: a million incidents make 3,333), so that every pattern is a
# distinct problem. Smaller corpora never reach them and are as they were.
MORE_SYMPTOMS: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "network": [
        (
            ("drops when roaming between access points", "loses connection when roaming"),
            ("roaming drops", "connection lost when roaming"),
        ),
        (
            ("fails after the password change", "stopped working after my password change"),
            ("failure after password change",),
        ),
        (("slows down every afternoon", "is slow at peak hours"), ("afternoon slowdown",)),
        (("rejects new laptops", "does not accept new devices"), ("new devices rejected",)),
        (("uses a stale route", "keeps a stale route to the old gateway"), ("stale route",)),
        (
            ("aborts uploads over {n} MB", "aborts large downloads"),
            ("large transfers aborted", "aborted uploads"),
        ),
        (("reports an IP address conflict", "has duplicate IP addresses"), ("IP conflict",)),
        (("breaks up voice calls", "makes voice calls choppy"), ("choppy voice calls",)),
        (("is saturated during backups", "maxes out during backups"), ("saturated by backups",)),
        (("has no IPv6", "drops IPv6 connectivity"), ("IPv6 connectivity lost",)),
        (("forgets saved networks", "forgets the saved Wi-Fi key"), ("saved networks lost",)),
        (("exits in the wrong country", "shows the wrong country"), ("wrong country shown",)),
    ],
    "app": [
        (("shows other users' records", "shows records of other users"), ("wrong records",)),
        (("switches to the wrong language", "forgets the language setting"), ("wrong language",)),
        (("miscalculates tax", "calculates tax wrongly"), ("tax calculation error",)),
        (("prints cut-off pages", "cuts off printed pages"), ("cut-off printouts",)),
        (("shows broken images", "does not load images"), ("broken images",)),
        (("shows the wrong time zone", "uses the wrong time zone"), ("time zone error",)),
        (("is broken on phones", "mobile view does not load"), ("broken mobile view",)),
        (("mails land in spam", "messages go to spam"), ("mails marked as spam",)),
        (("leaks memory", "uses all the memory"), ("memory leak", "high memory use")),
        (
            ("import rejects the file", "CSV import fails at row {n}"),
            ("import error", "rejected import file"),
        ),
        (("loses saved filters", "resets my saved filters"), ("saved filters lost",)),
        (("shows outdated content", "serves stale content"), ("stale content",)),
    ],
    "hardware": [
        (("keys stick", "keys are sticky"), ("sticky keys",)),
        (("camera shows a black image", "camera is not found"), ("camera failure",)),
        (("USB ports stop working", "USB ports are dead"), ("dead USB ports",)),
        (
            ("external display stays dark", "external display not detected"),
            ("no external display",),
        ),
        (("loses the date after power off", "clock resets after power off"), ("clock reset",)),
        (("smells burnt", "smells of burning"), ("burning smell",)),
        (("power adapter gets very hot", "power adapter whines"), ("faulty power adapter",)),
        (
            ("touchscreen ignores taps", "touchscreen registers ghost touches"),
            ("touchscreen fault",),
        ),
        (("prints streaks", "prints streaky pages"), ("streaky prints",)),
        (("hinge is broken", "hinge is loose"), ("broken hinge",)),
        (("wakes up from sleep by itself", "does not go to sleep"), ("sleep failure",)),
        (("shows the wrong resolution", "resolution is wrong"), ("wrong resolution",)),
    ],
    "account": [
        (("shows the wrong manager", "has the wrong manager"), ("wrong manager in directory",)),
        (("email alias disappeared", "lost its email alias"), ("lost email alias",)),
        (("guest invitation fails", "guest users cannot sign in"), ("guest access failure",)),
        (
            ("conditional access blocks login", "conditional access blocks the device"),
            ("conditional access block",),
        ),
        (("licence not assigned", "licence removed overnight"), ("missing licence",)),
        (("picks the wrong tenant", "signs in to the wrong tenant"), ("wrong tenant",)),
        (("password sync fails", "password not synced"), ("password sync failure",)),
        (("service account expired", "service account locked"), ("service account failure",)),
        (("shared account password rejected", "shared account login fails"), ("shared login",)),
        (("sign-in takes over a minute", "sign-in is very slow"), ("slow sign-in",)),
    ],
}  # fmt: skip
