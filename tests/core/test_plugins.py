"""The plugin loader and registry: lazy, isolated, credited, refusing duplicates."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint

import pytest
from pydantic import SecretStr

from itsmhub import Connector, Emulator, Enricher, RuleSettings, RuleType, SecretNotFound
from itsmhub.plugins import load_plugins
from itsmhub.secrets import SecretRef

MakeEntryPoint = Callable[[str, str], EntryPoint]

CONNECTOR_PLUGIN = """
from itsmhub import Connector, hookimpl

class {cls}(Connector):
    kind = "{kind}"
    async def check(self):
        return None

@hookimpl
def register_connectors(register):
    register({cls})
"""


def connector_plugin(kind: str, cls: str = "Fake") -> str:
    return CONNECTOR_PLUGIN.format(kind=kind, cls=cls)


def test_in_tree_plugins_register_through_entry_points(installed_plugins) -> None:
    names = {p.name for p in installed_plugins.loaded if not p.builtin}
    assert {"jira", "servicenow", "zendesk", "okta"} <= names
    assert set(installed_plugins.registry.connectors.names()) >= {
        "jira",
        "servicenow",
        "zendesk",
        "okta",
    }
    assert installed_plugins.broken == []


def test_a_plugin_that_fails_to_import_is_reported_and_others_load(
    make_entry_point: MakeEntryPoint,
) -> None:
    good = make_entry_point("good", connector_plugin("goodkind"))
    bad = make_entry_point("bad", "import does_not_exist_anywhere\n")
    plugins = load_plugins(environ={}, discovered=[bad, good])
    assert plugins.registry.connectors.names() == ["goodkind"]
    [broken] = plugins.broken
    assert broken.name == "bad"
    assert "import failed" in broken.reason and "does_not_exist_anywhere" in broken.reason


def test_a_misspelled_hook_is_refused_for_that_plugin_only(
    make_entry_point: MakeEntryPoint,
) -> None:
    typo = make_entry_point(
        "typo",
        """
        from itsmhub import hookimpl

        @hookimpl
        def register_conectors(register):
            pass
        """,
    )
    good = make_entry_point("good", connector_plugin("goodkind"))
    plugins = load_plugins(environ={}, discovered=[typo, good])
    [broken] = plugins.broken
    assert "register_conectors" in broken.reason and "register_connectors" in broken.reason
    assert plugins.registry.connectors.names() == ["goodkind"]
    assert plugins.pm.get_plugin("typo") is None


def test_a_hook_signature_mismatch_is_refused(make_entry_point: MakeEntryPoint) -> None:
    wrong = make_entry_point(
        "wrong",
        """
        from itsmhub import hookimpl

        @hookimpl
        def register_connectors(register, surprise):
            pass
        """,
    )
    plugins = load_plugins(environ={}, discovered=[wrong])
    [broken] = plugins.broken
    assert broken.name == "wrong" and "refused" in broken.reason


def test_a_plugin_that_raises_while_registering_loses_only_its_entries(
    make_entry_point: MakeEntryPoint,
) -> None:
    raising = make_entry_point(
        "raising",
        """
        from itsmhub import Connector, hookimpl

        class Half(Connector):
            kind = "half"
            async def check(self):
                return None

        @hookimpl
        def register_connectors(register):
            register(Half)
            raise RuntimeError("boom")
        """,
    )
    good = make_entry_point("good", connector_plugin("goodkind"))
    plugins = load_plugins(environ={}, discovered=[raising, good])
    assert plugins.registry.connectors.names() == ["goodkind"]
    [broken] = plugins.broken
    assert broken.name == "raising" and "RuntimeError: boom" in broken.reason


def test_registering_something_that_is_not_a_connector_is_refused(
    make_entry_point: MakeEntryPoint,
) -> None:
    odd = make_entry_point(
        "odd",
        """
        from itsmhub import hookimpl

        @hookimpl
        def register_connectors(register):
            register(object)
        """,
    )
    plugins = load_plugins(environ={}, discovered=[odd])
    assert "expected a subclass of Connector" in plugins.broken[0].reason


def test_a_duplicate_connector_kind_names_both_plugins(make_entry_point: MakeEntryPoint) -> None:
    first = make_entry_point("acme-one", connector_plugin("samekind", "One"))
    second = make_entry_point("acme-two", connector_plugin("samekind", "Two"))
    plugins = load_plugins(environ={}, discovered=[first, second])
    assert plugins.registry.connectors.get("samekind") is None
    [conflict] = plugins.registry.conflicts()
    assert conflict.plugins == ("acme-one", "acme-two")
    assert "acme-one and acme-two" in conflict.message()


def test_allowlist_loads_only_named_plugins(make_entry_point: MakeEntryPoint) -> None:
    one = make_entry_point("one", connector_plugin("k1"))
    two = make_entry_point("two", connector_plugin("k2"))
    plugins = load_plugins(environ={"ITSMHUB_LOAD_PLUGINS": "two"}, discovered=[one, two])
    assert plugins.registry.connectors.names() == ["k2"]
    none = load_plugins(environ={"ITSMHUB_LOAD_PLUGINS": ""}, discovered=[one, two])
    assert none.registry.connectors.names() == []
    # The built-ins still load: secrets and rule types are part of the core.
    assert "recurrence" in none.registry.rule_types.names()


def test_hook_register_connectors(make_entry_point: MakeEntryPoint) -> None:
    plugins = load_plugins(environ={}, discovered=[make_entry_point("p", connector_plugin("k"))])
    cls = plugins.registry.connectors.get("k")
    assert cls is not None and issubclass(cls, Connector)
    assert plugins.registry.connectors.entries["k"].plugin == "p"
    assert cls.capabilities() == ["check"]


def test_hook_register_emulators(make_entry_point: MakeEntryPoint) -> None:
    point = make_entry_point(
        "emu",
        """
        from itsmhub import Emulator, hookimpl

        class FakeEmulator(Emulator):
            kind = "fake"
            def app(self, *, seed=None):
                async def app(scope, receive, send):
                    pass
                return app

        @hookimpl
        def register_emulators(register):
            register(FakeEmulator)
        """,
    )
    plugins = load_plugins(environ={}, discovered=[point])
    emulator = plugins.registry.emulators.get("fake")
    assert emulator is not None and issubclass(emulator, Emulator)
    assert callable(emulator().app(seed=1))


def test_hook_register_enrichers(make_entry_point: MakeEntryPoint) -> None:
    point = make_entry_point(
        "enr",
        """
        from itsmhub import Enricher, hookimpl

        class Departments(Enricher):
            name = "departments"
            connector_kind = "okta"
            async def enrich(self, records):
                return []

        @hookimpl
        def register_enrichers(register):
            register(Departments)
        """,
    )
    plugins = load_plugins(environ={}, discovered=[point])
    enricher = plugins.registry.enrichers.get("departments")
    assert enricher is not None and issubclass(enricher, Enricher)


def test_hook_register_rule_types(make_entry_point: MakeEntryPoint) -> None:
    point = make_entry_point(
        "rules",
        """
        from itsmhub import RuleSettings, RuleType, hookimpl

        class PageSettings(RuleSettings):
            channel: str

        class PageOnCall(RuleType):
            type = "page_on_call"
            settings_model = PageSettings

        @hookimpl
        def register_rule_types(register):
            register(PageOnCall)
        """,
    )
    plugins = load_plugins(environ={}, discovered=[point])
    rule_type = plugins.registry.rule_types.get("page_on_call")
    assert rule_type is not None and issubclass(rule_type, RuleType)
    assert issubclass(rule_type.settings_model, RuleSettings)
    # Built-in types are registered by the core's own default plugin.
    assert plugins.registry.rule_types.entries["recurrence"].plugin.startswith("itsmhub.")


def test_hook_resolve_secret(make_entry_point: MakeEntryPoint) -> None:
    point = make_entry_point(
        "vault",
        """
        from itsmhub import hookimpl

        @hookimpl
        def resolve_secret(ref):
            if ref.scheme == "vault":
                return "from-vault-" + ref.target
            return None
        """,
    )
    plugins = load_plugins(environ={}, discovered=[point])
    assert plugins.resolve_secret(SecretRef(scheme="vault", target="jira")) == SecretStr(
        "from-vault-jira"
    )
    with pytest.raises(SecretNotFound, match="no secret backend handles"):
        plugins.resolve_secret(SecretRef(scheme="keyring", target="x"))


def test_trace_switch_logs_hook_calls(
    make_entry_point: MakeEntryPoint, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="itsmhub.plugins")
    plugins = load_plugins(environ={"ITSMHUB_TRACE_PLUGINS": "1"}, discovered=[])
    plugins.pm.hook.resolve_secret(ref=SecretRef(scheme="env", target="NOPE_NOT_SET"))
    assert any("hook resolve_secret" in r.getMessage() for r in caplog.records)


def test_plugin_modules_from_the_environment(make_entry_point: MakeEntryPoint) -> None:
    point = make_entry_point("local", connector_plugin("localkind"))
    plugins = load_plugins(
        environ={"ITSMHUB_PLUGIN_MODULES": f"{point.value}, no_such_module_xyz"}, discovered=[]
    )
    assert plugins.registry.connectors.names() == ["localkind"]
    [broken] = plugins.broken
    assert broken.name == "no_such_module_xyz" and "import failed" in broken.reason
