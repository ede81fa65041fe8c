"""Built-in behaviour, written as ordinary plugins of the same hooks third parties use."""

DEFAULT_PLUGINS = (
    "itsmhub.default_plugins.secrets",
    "itsmhub.default_plugins.rule_types",
)
