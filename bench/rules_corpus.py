"""A seeded corpus of realistic incidents for benchmarking recurrence detection.

    .venv/bin/python bench/rules_corpus.py 100000

``generate`` streams lightweight ``CorpusIncident`` items: a share of them belong to
recurring *patterns* (one real problem, reported in 3–8 different wordings, in bursts of
a few days), the rest are one-off noise over the same services. Each item carries its
true ``pattern`` (``None`` for noise), so ``score`` can grade what a detector found
("N incidents matching a fingerprint within a window → open a problem").

Items come out in generation order, not by time: recurring and noise items are
interleaved at random. ``generate_sorted`` returns them sorted by ``created_at``.
"""

from __future__ import annotations

import random
import re
import sys
import time
from array import array
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from math import comb
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from itsmhub import Incident

DEFAULT_START = datetime(2025, 1, 1, tzinfo=UTC)
MIN_PATTERN_SIZE = 3

# --------------------------------------------------------------------------- vocabulary

# Symptoms by kind of service: (verb phrases, noun phrases). ``{slot}`` is filled per
# incident (a host name, an error code...), ``<slot>`` once per pattern.
_SYMPTOMS: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {
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
_SERVICES: list[tuple[str, str, str, list[tuple[str, ...]], list[_Symptom]]] = [
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

_SERVICE_WEIGHTS = {"vpn": 3, "email": 4, "teams": 3, "printing": 3, "laptop": 3, "sso": 2}

# Pattern wordings: V = verb phrase, N = noun phrase, C = component.
_V_FRAMES = (
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
)
_N_FRAMES = ("{N} on {C}", "{N} - {C}", "{C} {N}", "{N} with {C}", "{C}: {N}", "{C} - {N} again")
_PREFIXES = ("urgent: ", "URGENT - ", "Re: ", "FW: ", "again: ", "[{site}] ", "P2 - ", "help: ")
_SUFFIXES = (
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
_DETAILS = (
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
_NOISE_ACTIONS = (
    "need access to", "please install", "cannot find", "how do I configure", "request to change",
    "error opening", "problem with", "cannot print from", "move", "rename", "restore deleted",
    "order new", "replace", "update", "remove", "share", "set up", "question about",
    "need help with", "cannot delete", "recover", "extend", "transfer", "archive", "upgrade",
    "reinstall", "licence for", "quote for", "return", "book", "cancel", "reset", "unlock",
    "duplicate", "migrate", "merge", "export", "import", "clean up", "check", "approve",
    "translate", "copy", "sign", "scan", "fix formatting in", "change owner of", "hide",
)  # fmt: skip
_NOISE_ADJECTIVES = (
    "old", "new", "shared", "team", "personal", "finance", "marketing", "spare", "second",
    "wireless", "project", "legal", "archived", "temporary", "external", "guest", "test",
    "backup", "quarterly", "sales", "HR", "customer", "vendor", "training", "board", "audit",
    "regional", "yearly", "draft", "signed", "broken", "missing", "large", "encrypted",
)  # fmt: skip
_NOISE_NOUNS = (
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
_NOISE_CONTEXTS = (
    "", "", "", " for new starter {user}", " in building {site}", " before Friday",
    " for project {n}", " after office move", " on {host}", " - ref {ticket}", " asap",
    " by {date}", " for {user}", " please", " for the audit", " for the offsite",
    " - see {ticket}", " on floor {n}", " in room {n}", " for the {site} team",
)  # fmt: skip
_NOISE_FRAMES = (
    "{A} {O}{X}",
    "{O}: {A}{X}",
    "Request - {A} {O}{X}",
    "{A} the {O}{X}",
    "question: {A} {O}{X}",
    "{O} - {A}{X}",
)

_FIRST = (
    "anna", "ben", "carla", "david", "elena", "felix", "greta", "hugo", "ines", "jonas",
    "karin", "lukas", "maria", "nils", "olga", "paul", "queenie", "rafael", "sara", "tom",
    "ute", "victor", "wen", "xavier", "yusuf", "zoe", "amir", "bea", "chen", "dana",
    "emil", "fatima", "georg", "hana", "igor", "julia", "kofi", "lena", "milan", "nora",
)  # fmt: skip
_LAST = (
    "schmidt", "meyer", "novak", "garcia", "rossi", "smith", "kowalski", "dubois", "jensen",
    "tanaka", "silva", "otieno", "haddad", "larsen", "murphy", "berg", "kaya", "weber",
    "fischer", "lopez", "kim", "nguyen", "ivanova", "costa", "patel", "okafor", "muller",
    "horvat", "svensson", "moreau", "bianchi", "wagner", "popescu", "cohen", "ali", "chan",
)  # fmt: skip
_DEPARTMENTS = (
    "finance", "sales", "marketing", "hr", "it", "legal", "operations", "logistics",
    "engineering", "customer-service", "procurement", "research", "facilities", "executive",
)  # fmt: skip
_SITES = (
    "berlin", "munich", "hamburg", "vienna", "zurich", "lyon", "madrid", "warsaw",
    "prague", "milan", "leeds", "dublin", "austin", "toronto", "pune", "singapore",
)  # fmt: skip
_CODES = (
    "0x80070005", "0x800CCC0E", "0x80004005", "0x8007000E", "0xC004F074", "ORA-12170",
    "ORA-01017", "HTTP 503", "HTTP 401", "AADSTS50076", "AADSTS700016", "E1234", "ERR_PROXY",
    "SSL_ERROR_BAD_CERT", "KB5034441", "809", "789", "412", "DUMP_TSV_TABLE",
)  # fmt: skip
_TCODES = ("VA01", "ME21N", "FB60", "MIGO", "SE16", "MM03", "F110", "CO11N", "TS_DATA", "USERS")
_APPS = (
    "Salesforce", "Workday", "SAP", "Jira", "GitHub", "Tableau", "Concur", "Coupa",
    "ServiceNow", "Miro", "Figma", "DocuSign", "Box", "Slack", "Atlassian", "Finance360",
)  # fmt: skip
_HOURS = (8, 8, 9, 9, 9, 10, 10, 10, 11, 11, 12, 13, 13, 14, 14, 15, 15, 16, 16, 17, 18, 20, 2)

_JIRA_PROJECTS = {"network": "NET", "app": "APP", "hardware": "HW", "account": "IAM"}


# ------------------------------------------------------------------------------- items


@dataclass(slots=True, frozen=True)
class CorpusIncident:
    """One generated incident; ``pattern`` is its true recurring cluster (None: noise)."""

    id: str
    system: str
    key: str
    title: str
    description: str
    service: str | None
    category: str | None
    reporter_email: str
    department: str
    device: str | None
    impact: int
    urgency: int
    created_at: datetime
    pattern: int | None

    def to_incident(self) -> Incident:
        """The neutral ``Incident`` for this item (hub id = ``id``)."""
        from itsmhub import ExternalRef, Impact, Incident, PersonRef, Urgency

        return Incident(
            id=self.id,
            refs=[ExternalRef(system=self.system, remote_id=self.id, key=self.key)],
            title=self.title,
            description=self.description,
            reporter=PersonRef(email=self.reporter_email),
            service=self.service,
            category=self.category,
            impact=Impact(self.impact),
            urgency=Urgency(self.urgency),
            device_id=self.device,
            created_at=self.created_at,
            opened_at=self.created_at,
            custom={"department": self.department},
        )


@dataclass(slots=True)
class _Pattern:
    service: str
    category: str
    kind: str
    wordings: list[_Compiled]
    impact: int
    urgency: int
    bursts: list[tuple[float, float]]  # (start offset in seconds, mean spread in seconds)
    device_share: float


_SLOT = re.compile(r"\{(\w+)\}")
_FIXED = re.compile(r"<(\w+)>")


def _fillers(rng: random.Random) -> dict[str, Callable[[], str]]:
    """Per-incident slot fillers, all drawing from ``rng``."""
    rnd = rng.random
    users = [f"{f[0]}{last}{int(rnd() * 90) + 10}" for f in _FIRST for last in _LAST]
    host_kinds = ("lt-{:04d}.corp.example.com", "srv-db-{:02d}", "ws-{:04d}", "srv-app-{:02d}")

    def host() -> str:
        return host_kinds[int(rnd() * 4)].format(int(rnd() * 2000))

    def date() -> str:
        return f"2025-{int(rnd() * 12) + 1:02d}-{int(rnd() * 28) + 1:02d}"

    def code() -> str:
        if rnd() < 0.3:
            return f"0x{int(rnd() * 0xFFFFFFFF):08X}"
        return _CODES[int(rnd() * len(_CODES))]

    return {
        "host": host,
        "ip": lambda: f"10.{int(rnd() * 256)}.{int(rnd() * 256)}.{int(rnd() * 254) + 1}",
        "code": code,
        "user": lambda: users[int(rnd() * len(users))],
        "n": lambda: str(int(rnd() * 200) + 2),
        "pct": lambda: f"{int(rnd() * 100)}%",
        "ticket": lambda: f"INC{int(rnd() * 900000) + 10000:07d}",
        "date": date,
        "site": lambda: _SITES[int(rnd() * len(_SITES))],
    }


def _fixed_value(name: str, rng: random.Random) -> str:
    """A value fixed for a whole pattern (the printer, the floor...)."""
    r = rng.randrange
    return {
        "floor": lambda: str(r(1, 12)),
        "room": lambda: f"{r(1, 12)}.{r(1, 40):02d}",
        "ap": lambda: f"AP-{r(1, 12)}F-{r(1, 30):02d}",
        "switch": lambda: f"sw-{rng.choice(_SITES)[:3]}-{r(1, 60):02d}",
        "server": lambda: f"srv-{rng.choice(('db', 'app', 'fs', 'web'))}-{r(1, 40):02d}",
        "printer": lambda: f"PRN-{r(1, 12)}F-{r(1, 9):02d}",
        "site": lambda: rng.choice(_SITES).title(),
        "share": lambda: rng.choice(("Finance", "Sales", "HR", "Projects", "Legal", "Board")),
        "tcode": lambda: rng.choice(_TCODES),
        "app": lambda: rng.choice(_APPS),
    }[name]()


_Compiled = tuple[str, tuple[Callable[[], str], ...]]


def _compile(template: str, fill: dict[str, Callable[[], str]]) -> _Compiled:
    """Turn ``"x {host} y"`` into a positional format string and its slot fillers."""
    names = _SLOT.findall(template)
    fmt = template.replace("{{", "\0").replace("}}", "\1")
    index = iter(range(len(names)))
    fmt = _SLOT.sub(lambda _m: "{" + str(next(index)) + "}", fmt)
    return fmt.replace("\0", "{{").replace("\1", "}}"), tuple(fill[name] for name in names)


def _render(compiled: _Compiled) -> str:
    fmt, funcs = compiled
    if not funcs:
        return fmt
    return fmt.format(*[f() for f in funcs])


def _make_patterns(
    sizes: list[int], rng: random.Random, fill: dict[str, Callable[[], str]], seconds: float
) -> list[_Pattern]:
    """One pattern per size, each a distinct (service, component, symptom) problem.

    Once a service runs out of distinct problems, a pattern repeats one at another site.
    """
    count = len(sizes)
    services = [s[0] for s in _SERVICES]
    weights = [_SERVICE_WEIGHTS.get(name, 1) for name in services]
    used: set[tuple[int, int, int]] = set()
    patterns: list[_Pattern] = []
    while len(patterns) < count:
        s = rng.choices(range(len(_SERVICES)), weights)[0]
        name, category, kind, components, extra = _SERVICES[s]
        symptoms = _SYMPTOMS[kind] + extra
        c, y = rng.randrange(len(components)), rng.randrange(len(symptoms))
        site = ""
        if (s, c, y) in used:
            free = [
                (cc, yy)
                for cc in range(len(components))
                for yy in range(len(symptoms))
                if (s, cc, yy) not in used
            ]
            if free:
                c, y = rng.choice(free)
            else:  # every problem of this service is taken: the same one at another site
                site = f" at {rng.choice(_SITES).title()} {rng.randrange(1, 99)}"
        used.add((s, c, y))
        fixed: dict[str, str] = {}

        def pin(text: str, fixed: dict[str, str] = fixed) -> str:
            return _FIXED.sub(lambda m: fixed.setdefault(m[1], _fixed_value(m[1], rng)), text)

        synonyms = [pin(x) + site for x in components[c]]
        verbs, nouns = symptoms[y]
        wanted = rng.randint(3, 8)
        forms: set[str] = set()
        for _ in range(60):
            comp = rng.choice(synonyms)
            if rng.random() < 0.65:
                text = rng.choice(_V_FRAMES).format(C=comp, V=rng.choice(verbs))
            else:
                text = rng.choice(_N_FRAMES).format(C=comp, N=rng.choice(nouns))
            if rng.random() < 0.5:
                text = text[0].upper() + text[1:]
            forms.add(text)
            if len(forms) >= wanted:
                break
        # Bursts of 3–12 incidents on average, each spread over hours to a few days.
        bursts = [
            (rng.uniform(0, seconds), rng.uniform(0.2, 2.5) * 86400.0)
            for _ in range(max(1, round(sizes[len(patterns)] / rng.uniform(3, 12))))
        ]
        patterns.append(
            _Pattern(
                service=name,
                category=category,
                kind=kind,
                wordings=[_compile(form, fill) for form in sorted(forms)],
                impact=rng.choice((1, 2, 2, 3)),
                urgency=rng.choice((1, 2, 2, 3)),
                bursts=bursts,
                device_share=0.8 if kind == "hardware" else 0.4,
            )
        )
    return patterns


def _pattern_sizes(total: int, count: int, rng: random.Random) -> list[int]:
    """Split ``total`` over ``count`` patterns, each ≥ MIN_PATTERN_SIZE, heavy-tailed."""
    extra = total - MIN_PATTERN_SIZE * count
    weights = [min(rng.paretovariate(1.2) - 0.95, 20.0) for _ in range(count)]
    scale = extra / sum(weights)
    sizes = [MIN_PATTERN_SIZE + int(w * scale) for w in weights]
    for i in rng.choices(range(count), weights, k=total - sum(sizes)):
        sizes[i] += 1
    return sizes


def _key_maker(system: str, first: int) -> Callable[[str], str]:
    """A function giving the next human key in ``system``'s style for a service kind."""
    lower = system.lower()
    counters: dict[str, int] = {}
    if "jira" in lower:

        def jira(kind: str) -> str:
            project = _JIRA_PROJECTS.get(kind, "OPS")
            counters[project] = number = counters.get(project, first) + 1
            return f"{project}-{number}"

        return jira
    state = [first]
    if "servicenow" in lower or "snow" in lower:

        def snow(_kind: str) -> str:
            state[0] += 1
            return f"INC{state[0]:07d}"

        return snow
    if "zendesk" in lower:

        def zendesk(_kind: str) -> str:
            state[0] += 1
            return str(state[0])

        return zendesk
    prefix = re.sub(r"[^A-Z]", "", system.upper())[:4] or "T"

    def other(_kind: str) -> str:
        state[0] += 1
        return f"{prefix}-{state[0]}"

    return other


# ----------------------------------------------------------------------------- generate


def generate(
    n: int,
    *,
    seed: int = 1,
    systems: Sequence[str] = ("jira", "servicenow", "zendesk"),
    start: datetime = DEFAULT_START,
    days: int = 365,
    recurring_share: float = 0.3,
) -> Iterator[CorpusIncident]:
    """Yield ``n`` incidents, the same ones for the same arguments.

    About ``recurring_share`` of them belong to ``max(5, n // 300)`` patterns (fewer when
    there are too few recurring items for ``MIN_PATTERN_SIZE`` each); pattern sizes are
    heavy-tailed and each pattern recurs in bursts of a few days. The rest are noise.
    The vocabulary holds about 2,200 distinct problems; past that, patterns repeat a
    problem at another site ("VPN at Lyon 12 keeps disconnecting").
    Items come in generation order (times are not sorted: see ``generate_sorted``); ids
    are ``inc-0000001``... in that order. Memory holds the patterns and one array of
    ``n * recurring_share`` pattern numbers, never the items.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if not systems:
        raise ValueError("systems must not be empty")
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    start = start.astimezone(UTC)
    rng = random.Random(seed)
    rnd = rng.random
    expo = rng.expovariate
    seconds = days * 86400.0
    recurring = round(n * min(max(recurring_share, 0.0), 1.0))
    count = min(max(5, n // 300), recurring // MIN_PATTERN_SIZE)
    if count == 0:
        recurring = 0
    fill = _fillers(rng)
    sizes = _pattern_sizes(recurring, count, rng) if count else []
    patterns = _make_patterns(sizes, rng, fill, seconds)
    deck = array("I")
    for number, size in enumerate(sizes):
        deck.extend(array("I", [number]) * size)
    rng.shuffle(deck)

    people = [
        (f"{f}.{last}@example.com", dep, f"lt-{int(rnd() * 9000) + 1000:04d}")
        for f in _FIRST
        for last in _LAST
        for dep in (_DEPARTMENTS[int(rnd() * len(_DEPARTMENTS))],)
    ]
    services = [
        (s[0], s[1], s[2], [syn for comp in s[3] for syn in comp if "<" not in syn])
        for s in _SERVICES
    ]
    noise_objects = [syn for s in services for syn in s[3]]
    prefixes = [_compile(p, fill) for p in _PREFIXES]
    suffixes = [_compile(s, fill) for s in _SUFFIXES]
    details = [_compile(d, fill) for d in _DETAILS]
    contexts = [_compile(x, fill) for x in _NOISE_CONTEXTS]
    key_makers = [_key_maker(system, rng.randrange(100, 5000) * 10) for system in systems]
    width = max(7, len(str(n)))
    n_sys, n_people, n_hours = len(systems), len(people), len(_HOURS)
    n_services = len(services)
    end = seconds - 1.0
    timestamp = start.timestamp()
    from_ts = datetime.fromtimestamp

    left_recurring = recurring
    for i in range(n):
        if left_recurring and rnd() * (n - i) < left_recurring:
            left_recurring -= 1
            number: int | None = deck[left_recurring]
            p = patterns[number]
            wording = p.wordings[int(rnd() * len(p.wordings))]
            title = _render(wording)
            r = rnd()
            if r < 0.25:
                title = _render(prefixes[int(rnd() * len(prefixes))]) + title
            elif r < 0.45:
                title += _render(suffixes[int(rnd() * len(suffixes))])
            description = (
                f"{_render(p.wordings[int(rnd() * len(p.wordings))])}. "
                f"{_render(details[int(rnd() * len(details))])}"
            )
            if rnd() < 0.1:  # a stray occurrence outside the bursts
                offset = rnd() * seconds
            else:
                begin, spread = p.bursts[int(rnd() * len(p.bursts))]
                offset = begin + expo(1.0 / spread)
                if offset > end:
                    offset = end - rnd() * spread
            service, category, kind = p.service, p.category, p.kind
            impact = p.impact if rnd() < 0.8 else int(rnd() * 3) + 1
            urgency = p.urgency if rnd() < 0.8 else int(rnd() * 3) + 1
            device_share = p.device_share
        else:
            number = None
            service, category, kind, objects = services[int(rnd() * n_services)]
            if objects and rnd() < 0.5:
                obj = objects[int(rnd() * len(objects))]
            else:
                obj = (
                    f"{_NOISE_ADJECTIVES[int(rnd() * len(_NOISE_ADJECTIVES))]} "
                    f"{_NOISE_NOUNS[int(rnd() * len(_NOISE_NOUNS))]}"
                )
                if rnd() < 0.2:
                    obj = f"{noise_objects[int(rnd() * len(noise_objects))]} {obj}"
            title = _NOISE_FRAMES[int(rnd() * len(_NOISE_FRAMES))].format(
                A=_NOISE_ACTIONS[int(rnd() * len(_NOISE_ACTIONS))],
                O=obj,
                X=_render(contexts[int(rnd() * len(contexts))]),
            )
            description = (
                f"{_render(details[int(rnd() * len(details))])} "
                f"{_render(details[int(rnd() * len(details))])}"
            )
            day = int(rnd() * days)
            offset = (day * 24 + _HOURS[int(rnd() * n_hours)]) * 3600.0 + rnd() * 3600.0
            impact = 3 if rnd() < 0.6 else 2
            urgency = 3 if rnd() < 0.5 else int(rnd() * 2) + 1
            device_share = 0.3
        if rnd() < 0.05:
            service = category = None
        email, department, laptop = people[int(rnd() * n_people)]
        s = int(rnd() * n_sys)
        yield CorpusIncident(
            id=f"inc-{i + 1:0{width}d}",
            system=systems[s],
            key=key_makers[s](kind),
            title=title,
            description=description,
            service=service,
            category=category,
            reporter_email=email,
            department=department,
            device=laptop if rnd() < device_share else None,
            impact=impact,
            urgency=urgency,
            created_at=from_ts(timestamp + offset, UTC),
            pattern=number,
        )


def generate_sorted(n: int, **kwargs: Any) -> list[CorpusIncident]:
    """All of ``generate(n, **kwargs)`` in a list sorted by ``created_at`` (then id)."""
    return sorted(generate(n, **kwargs), key=lambda item: (item.created_at, item.id))


def truth_of(items: Iterable[CorpusIncident]) -> dict[str, int | None]:
    """Incident id → true pattern, the ``truth`` argument of ``score``."""
    return {item.id: item.pattern for item in items}


# -------------------------------------------------------------------------------- score


@dataclass(slots=True, frozen=True)
class Score:
    """How well a detector's clusters match the true patterns (see ``score``)."""

    flagged: int  # incidents in found clusters of at least min_size
    correct: int  # flagged incidents whose cluster's majority pattern is their own
    recurring: int  # incidents in true patterns of at least min_size
    recalled: int  # recurring incidents flagged in a cluster whose majority is their pattern
    found_clusters: int
    true_patterns: int
    precision: float
    recall: float
    pair_precision: float
    pair_recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def __str__(self) -> str:
        return (
            f"precision {self.precision:.3f} ({self.correct}/{self.flagged}), "
            f"recall {self.recall:.3f} ({self.recalled}/{self.recurring}), f1 {self.f1:.3f}; "
            f"pairwise precision {self.pair_precision:.3f}, recall {self.pair_recall:.3f}; "
            f"{self.found_clusters} clusters found for {self.true_patterns} patterns"
        )


def score(
    found: Mapping[str, Hashable | None] | Iterable[tuple[str, Hashable | None]],
    truth: Mapping[str, int | None],
    *,
    min_size: int = 3,
) -> Score:
    """Grade a detector's clusters against the true patterns.

    ``found`` maps incident id → the cluster label the detector gave it (None, or a
    missing id: not flagged); ``truth`` maps every incident id → its true pattern (None:
    noise). Found clusters with fewer than ``min_size`` members count as not flagged,
    and true patterns with fewer than ``min_size`` members count as noise.

    A found cluster's *majority* is its most common true label, noise included (ties go
    to a real pattern, then the smallest one). Then:

    - precision = correct / flagged: of the flagged incidents, the share whose cluster's
      majority is a real pattern equal to their own (flagged noise is always wrong);
    - recall = recalled / recurring: of the incidents in true patterns, the share
      flagged in a cluster whose majority is their pattern. A pattern split over several
      clusters is not penalised here; the pairwise figures see that;
    - pair precision: of the pairs of incidents sharing a found cluster, the share that
      also share a true pattern; pair recall: of the pairs sharing a true pattern, the
      share that also share a found cluster. Both come from contingency counts (sums
      of C(k, 2)), not from listing pairs.

    A ratio with nothing to count (nothing flagged, nothing to find) is 1.0.
    """
    labels = dict(found.items() if isinstance(found, Mapping) else found)
    unknown = labels.keys() - truth.keys()
    if unknown:
        raise ValueError(f"{len(unknown)} found ids are not in truth, e.g. {min(unknown)!r}")
    pattern_sizes = Counter(p for p in truth.values() if p is not None)
    real = {p for p, size in pattern_sizes.items() if size >= min_size}
    cluster_sizes = Counter(label for label in labels.values() if label is not None)
    clusters = {c for c, size in cluster_sizes.items() if size >= min_size}

    cells: Counter[tuple[Hashable, int | None]] = Counter()
    for incident, label in labels.items():
        if label in clusters:
            pattern = truth[incident]
            cells[label, pattern if pattern in real else None] += 1

    majority: dict[Hashable, tuple[int, bool, float]] = {}
    for (label, pattern), size in cells.items():
        rank = (size, pattern is not None, -pattern if pattern is not None else 0.0)
        if label not in majority or rank > majority[label]:
            majority[label] = rank
    winner = {
        label: (None if not is_real else int(-neg)) for label, (_, is_real, neg) in majority.items()
    }
    correct = sum(
        size
        for (label, pattern), size in cells.items()
        if pattern is not None and winner[label] == pattern
    )
    flagged = sum(cells.values())
    recurring = sum(pattern_sizes[p] for p in real)
    found_pairs = sum(comb(cluster_sizes[c], 2) for c in clusters)
    true_pairs = sum(comb(pattern_sizes[p], 2) for p in real)
    both = sum(comb(size, 2) for (_, pattern), size in cells.items() if pattern is not None)
    return Score(
        flagged=flagged,
        correct=correct,
        recurring=recurring,
        recalled=correct,
        found_clusters=len(clusters),
        true_patterns=len(real),
        precision=correct / flagged if flagged else 1.0,
        recall=correct / recurring if recurring else 1.0,
        pair_precision=both / found_pairs if found_pairs else 1.0,
        pair_recall=both / true_pairs if true_pairs else 1.0,
    )


# --------------------------------------------------------------------------------- main


def main(argv: Sequence[str]) -> None:
    n = int(argv[0]) if argv else 100_000
    seed = int(argv[1]) if len(argv) > 1 else 1
    started = time.perf_counter()
    patterns: Counter[int] = Counter()
    recurring = 0
    first: CorpusIncident | None = None
    for item in generate(n, seed=seed):
        first = first or item
        if item.pattern is not None:
            recurring += 1
            patterns[item.pattern] += 1
    elapsed = time.perf_counter() - started
    print(f"{n:,} incidents in {elapsed:.2f} s: {n / elapsed:,.0f} items/s")
    print(f"{len(patterns):,} patterns, {recurring / max(n, 1):.1%} recurring")
    if not patterns:
        return
    largest = patterns.most_common(1)[0][0]
    median = sorted(patterns.values())[len(patterns) // 2]
    print(f"pattern sizes: largest {patterns[largest]}, median {median}")
    sample = [item for item in generate(min(n, 20_000), seed=seed) if item.pattern is not None]
    pattern = Counter(item.pattern for item in sample).most_common(1)[0][0]
    shown = [item for item in sample if item.pattern == pattern][:8]
    service = Counter(item.service for item in shown).most_common(1)[0][0]
    print(f"pattern {pattern} ({service}), from the first {min(n, 20_000):,}:")
    for item in shown:
        print(f"  {item.created_at:%Y-%m-%d %H:%M} {item.system:<10} {item.key:<11} {item.title}")
    noise = [item.title for item in generate(20, seed=seed) if item.pattern is None][:5]
    print("noise:", *(f"  {title}" for title in noise), sep="\n")


if __name__ == "__main__":
    main(sys.argv[1:])
