"""``itsmhub connectors check`` for Jira: the account, each project, and what the
mapping names (issue types, link types, custom fields) exist and may be used."""

from __future__ import annotations

from typing import TYPE_CHECKING

from itsmhub import CheckItem, CheckResult, ConfigError, ItsmhubError, TransientError

if TYPE_CHECKING:
    from .connector import JiraConnector

#: Project permissions the sync uses (``GET /mypermissions`` keys).
PERMISSIONS = (
    "BROWSE_PROJECTS",
    "CREATE_ISSUES",
    "EDIT_ISSUES",
    "TRANSITION_ISSUES",
    "ADD_COMMENTS",
    "EDIT_OWN_COMMENTS",
    "LINK_ISSUES",
)


async def check(connector: JiraConnector) -> CheckResult:
    """Each item says what it checked and, when it failed, what to change."""
    items: list[CheckItem] = []
    try:
        me = await connector.client.myself()
    except ConfigError as exc:
        items.append(CheckItem(name="auth", ok=False, detail=exc.message, fix=exc.fix))
        return CheckResult(connector=connector.name, items=tuple(items))
    except TransientError as exc:
        fix = "check site_url, the network path and any proxy; try again later"
        items.append(CheckItem(name="reachability", ok=False, detail=str(exc), fix=fix))
        return CheckResult(connector=connector.name, items=tuple(items))
    who = me.get("displayName") or me.get("accountId") or "the account"
    zone = me.get("timeZone") or "unknown"
    items.append(CheckItem(name="auth", ok=True, detail=f"signed in as {who} (time zone {zone})"))
    for project in connector.jira_settings.projects:
        items += await _project(connector, project)
    items.append(await _link_types(connector))
    if connector.jira_settings.mapping.custom_fields:
        items.append(await _custom_fields(connector))
    return CheckResult(connector=connector.name, items=tuple(items))


async def _project(connector: JiraConnector, key: str) -> list[CheckItem]:
    try:
        project = await connector.client.project(key)
    except ItsmhubError as exc:
        return [CheckItem(name=f"project {key}", ok=False, detail=str(exc))]
    if project is None:
        return [
            CheckItem(
                name=f"project {key}",
                ok=False,
                detail="not found, or the account may not browse it",
                fix=f"check the key in projects, and give the account access to {key}",
            )
        ]
    types = {t.get("name") for t in project.get("issueTypes") or [] if isinstance(t, dict)}
    missing = [t for t in connector.target.issue_types() if t not in types]
    items = [
        CheckItem(
            name=f"project {key}",
            ok=not missing,
            detail=f"issue types missing: {', '.join(missing)}" if missing else "found",
            fix="set mapping.issue_types to types the project has" if missing else None,
        )
    ]
    granted = await connector.client.my_permissions(key, PERMISSIONS)
    lacking = [p for p in PERMISSIONS if not granted.get(p)]
    items.append(
        CheckItem(
            name=f"permissions {key}",
            ok=not lacking,
            detail=f"missing: {', '.join(lacking)}" if lacking else "all granted",
            fix=f"grant the account these project permissions in {key}" if lacking else None,
        )
    )
    return items


async def _link_types(connector: JiraConnector) -> CheckItem:
    mapping = connector.jira_settings.mapping
    wanted = [mapping.link_type, mapping.duplicate_link_type, mapping.related_link_type]
    names = {t.get("name") for t in await connector.client.link_types()}
    missing = [name for name in wanted if name not in names]
    return CheckItem(
        name="link types",
        ok=not missing,
        detail=f"missing: {', '.join(missing)}" if missing else ", ".join(wanted),
        fix="set mapping.link_type (and duplicate_/related_link_type) to types of "
        "GET /rest/api/3/issueLinkType"
        if missing
        else None,
    )


async def _custom_fields(connector: JiraConnector) -> CheckItem:
    known = {f.get("id") for f in await connector.client.fields()}
    mapped = connector.jira_settings.mapping.custom_fields
    missing = [f"{name} = {fid}" for name, fid in mapped.items() if fid not in known]
    return CheckItem(
        name="custom fields",
        ok=not missing,
        detail=f"not on the site: {', '.join(missing)}" if missing else "all found",
        fix="use ids from GET /rest/api/3/field in mapping.custom_fields" if missing else None,
    )


__all__ = ["PERMISSIONS", "check"]
