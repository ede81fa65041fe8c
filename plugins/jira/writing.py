"""Writing issues: creates carrying the marker label, edits checked against a fresh read,
statuses moved through the workflow, comments, issue links and remote links."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, JsonValue

from itsmhub import (
    NOT_SYNCED,
    AnyRecord,
    Comment,
    ExternalRef,
    FieldChanges,
    LinkKind,
    RecordError,
    RecordKind,
    RemoteChange,
    RemoteVersion,
    check_unchanged,
)

from .comments import comment_body
from .links import (
    PROPERTY,
    global_id,
    link_body,
    link_id,
    remote_link_body,
    with_entry,
    without_entry,
)
from .mapping import labels_of, parse_time, to_record, version_of
from .payload import create_fields, jira_status, to_fields

if TYPE_CHECKING:
    from .connector import JiraConnector


class JiraWrites:
    """The single-record writes of :class:`JiraConnector`."""

    # --- create ----------------------------------------------------------------------

    def _values(self: JiraConnector, record: AnyRecord) -> dict[str, JsonValue]:
        """The record's synced fields (JSON form), people resolved to accountIds later."""
        dumped = record.model_dump(mode="json", exclude=set(NOT_SYNCED))
        synced = self.synced_fields
        return {k: v for k, v in dumped.items() if synced is None or k in synced}

    async def _create_body(
        self: JiraConnector, record: AnyRecord, marker: str, options: Mapping[str, Any]
    ) -> dict[str, Any]:
        if record.kind not in self.record_kinds:
            raise RecordError(f"Jira holds no {record.kind.value} records")
        values = await self._with_accounts(self._values(record))
        project = options.get("project") if options else None
        fields = create_fields(self.target, record, marker, values, project)  # type: ignore[arg-type]
        return {
            "fields": fields,
            "properties": [{"key": PROPERTY, "value": {"marker": marker, "hub_id": record.id}}],
        }

    async def create(
        self: JiraConnector,
        record: AnyRecord,
        *,
        marker: str,
        options: BaseModel | None = None,
    ) -> RemoteChange:
        """``POST /issue`` with the marker label (in the route's project, else the first
        configured), then the workflow transition to the record's status if it is not the
        one new issues start in. Jira answers with ids only, so the change returned is the
        record sent, with its new ref."""
        await self._load_field_types()
        chosen = options.model_dump() if options is not None else {}
        created = await self.client.create_issue(await self._create_body(record, marker, chosen))
        change = self._created(record, marker, created)
        await self._settle_status(change, record)
        return change

    def _created(
        self: JiraConnector, record: AnyRecord, marker: str, created: Mapping[str, Any]
    ) -> RemoteChange:
        issue_id, key = created.get("id"), created.get("key")
        if not isinstance(issue_id, str) or not issue_id:
            raise RecordError("Jira answered the create without an issue id")
        ref = ExternalRef(
            system=self.name,
            remote_id=issue_id,
            key=key if isinstance(key, str) else None,
            url=f"{self.target.site}/browse/{key}" if key else None,
            remote_type=self.target.issue_type(record.kind),
        )
        # Links and comments travel by their own calls: the new issue holds none yet.
        sent = record.model_copy(
            update={"id": f"{self.name}:{issue_id}", "refs": [ref], "links": [], "comments": []}
        )
        return RemoteChange(
            kind=record.kind,
            remote_id=issue_id,
            version="0",
            changed_at=self.context.clock(),
            record=sent,
            marker=marker,
        )

    # --- update ----------------------------------------------------------------------

    async def update(self: JiraConnector, ref: ExternalRef, changes: FieldChanges) -> RemoteVersion:
        """Read the issue, raise RemoteChanged if a field no longer holds its old value
        (Jira has no compare-and-set), move the status through the workflow, then ``PUT``
        the other fields with ``returnIssue`` to learn the version the write produced.
        (An edit landing between the read and the write is not detected.)"""
        issue = await self.client.issue(ref.remote_id, self.target.fields(), [PROPERTY])
        if issue is None:
            raise RecordError(f"{ref.key or ref.remote_id} no longer exists in Jira")
        return await self._update_issue(ref, changes, issue)

    async def _update_issue(
        self: JiraConnector, ref: ExternalRef, changes: FieldChanges, issue: dict[str, Any]
    ) -> RemoteVersion:
        kind = changes.kind
        held = to_record(self.target, issue, [])
        where = f"{ref.key or ref.remote_id} in Jira"
        check_unchanged(held, changes, where=where, same=self._same_status(kind))
        values = await self._with_accounts(dict(changes.new_values()))
        status = values.pop("status", None)
        moved = False
        if status is not None:
            current = ((issue.get("fields") or {}).get("status") or {}).get("name")
            if jira_status(self.target, kind, status) != current:
                if await self._move(ref, kind, status, values, current=current):
                    values.pop("resolution_code", None)  # the transition's screen set it
                moved = True
        await self._load_field_types()
        fields = to_fields(self.target, kind, values, labels=labels_of(issue))
        if fields:
            edited = await self.client.edit_issue(ref.remote_id, {"fields": fields})
            if edited is not None:
                return _version(edited)
        if moved:
            return RemoteVersion()  # a transition answers nothing: the version is unknown
        return _version(issue)

    def _same_status(self: JiraConnector, kind: RecordKind):  # type: ignore[no-untyped-def]
        """Two neutral statuses written as one Jira status are equal: reading cannot tell
        them apart, so neither is a concurrent edit."""

        def same(field: str, held: JsonValue, old: JsonValue) -> bool:
            if field != "status" or held is None or old is None:
                return False
            try:
                return jira_status(self.target, kind, held) == jira_status(self.target, kind, old)
            except (KeyError, ValueError):
                return False

        return same

    # --- people ----------------------------------------------------------------------

    async def _with_accounts(
        self: JiraConnector, values: dict[str, JsonValue]
    ) -> dict[str, JsonValue]:
        """People of other systems, found here by their e-mail, as this site's accounts
        (one lookup per address, remembered); those not found are left out."""
        for name in ("reporter", "assignee"):
            person = values.get(name)
            if not isinstance(person, dict) or self._own_account(person):
                continue
            email = person.get("email")
            account = await self._account_by_email(email) if isinstance(email, str) else None
            if account is None:
                values.pop(name)  # Jira keeps whom it has; nothing to write
            else:
                external = {"system": self.name, "remote_id": account, "remote_type": "user"}
                values[name] = {**person, "external": external}
        return values

    def _own_account(self: JiraConnector, person: Mapping[str, Any]) -> bool:
        external = person.get("external")
        return isinstance(external, dict) and external.get("system") == self.name

    async def _account_by_email(self: JiraConnector, email: str) -> str | None:
        key = email.strip().lower()
        if key not in self._accounts:
            users = await self.client.find_users(key)
            match = [u for u in users if str(u.get("emailAddress", "")).lower() == key]
            self._accounts[key] = str(match[0]["accountId"]) if match else None
        return self._accounts[key]

    # --- comments --------------------------------------------------------------------

    async def add_comment(
        self: JiraConnector, ref: ExternalRef, comment: Comment, *, marker: str
    ) -> ExternalRef:
        """``POST …/comment``: ADF with the hub's footer, internal or public by JSM's
        ``sd.public.comment`` property."""
        created = await self.client.add_comment(ref.remote_id, comment_body(comment))
        comment_id = created.get("id")
        if not isinstance(comment_id, str) or not comment_id:
            raise RecordError(
                f"Jira answered the comment on {ref.key or ref.remote_id} without an id"
            )
        return ExternalRef(system=self.name, remote_id=comment_id, remote_type="comment")

    async def update_comment(self: JiraConnector, ref: ExternalRef, comment: Comment) -> None:
        """``PUT …/comment/{id}``: the copy is edited in place (sending it twice is the
        same edit)."""
        copies = [r for r in comment.refs if r.system == self.name]
        if not copies:
            raise RecordError(
                f"comment {comment.id} has no copy in {self.name} to edit",
                fix="the engine adds it first; replay the dead letter once it exists",
            )
        await self.client.update_comment(ref.remote_id, copies[0].remote_id, comment_body(comment))

    # --- links -----------------------------------------------------------------------

    async def link(
        self: JiraConnector, ref: ExternalRef, target: ExternalRef, kind: LinkKind
    ) -> None:
        """An issue link of the kind's type to an issue of this site; a remote link (by
        its deterministic ``globalId``) to a record of another system."""
        if target.system == self.name:
            body = link_body(self.target, ref, target, kind)
            await self.client.link_issues(body)
            return
        # The property first: setting it does not move `updated`, the remote link does,
        # so the next pull sees both.
        stored = await self.client.property(ref.remote_id, PROPERTY)
        await self.client.set_property(
            ref.remote_id, PROPERTY, with_entry({PROPERTY: stored}, target, kind)
        )
        await self.client.put_remote_link(ref.remote_id, remote_link_body(target, kind))

    async def unlink(
        self: JiraConnector, ref: ExternalRef, target: ExternalRef, kind: LinkKind
    ) -> None:
        """Delete the issue link (found on the issue) or the remote link (by globalId);
        a link that is not there is not an error."""
        if target.system == self.name:
            issue = await self.client.issue(ref.remote_id, ["issuelinks"])
            found = link_id(self.target, issue, target, kind) if issue is not None else None
            if found is not None:
                await self.client.delete_issue_link(found)
            return
        stored = await self.client.property(ref.remote_id, PROPERTY)
        kept = without_entry({PROPERTY: stored}, target)
        if kept is not None:
            await self.client.set_property(ref.remote_id, PROPERTY, kept)
        await self.client.delete_remote_link(ref.remote_id, global_id(target))


def _version(issue: Mapping[str, Any]) -> RemoteVersion:
    try:
        version = version_of(issue)
    except RecordError:
        return RemoteVersion()
    fields = issue.get("fields") if isinstance(issue.get("fields"), dict) else {}
    return RemoteVersion(version=version, updated_at=parse_time((fields or {}).get("updated")))


__all__ = ["JiraWrites"]
