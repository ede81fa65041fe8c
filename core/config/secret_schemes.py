"""Which secret schemes can be resolved here: the built-in ones, and those of the
installed plugins that implement the ``resolve_secret`` hook.

A reference whose scheme nothing installed can answer (``vault:`` with no Vault plugin)
is a config error, not a missing secret: no environment variable or file will fix it.
"""

from __future__ import annotations

from ..plugins import Plugins
from ..secrets import SecretRef

BUILTIN_SCHEMES = frozenset({"env", "file", "credential"})

#: Schemes admins write, and the plugin that would provide each backend.
WELL_KNOWN_BACKENDS: dict[str, str] = {
    "vault": "itsmhub-vault (HashiCorp Vault)",
    "aws-sm": "itsmhub-aws (AWS Secrets Manager)",
    "gcp-sm": "itsmhub-gcp (Google Secret Manager)",
    "azure-kv": "itsmhub-azure (Azure Key Vault)",
    "op": "itsmhub-1password (1Password)",
    "keyring": "itsmhub-keyring (the system keyring)",
}


def secret_backends(plugins: Plugins) -> list[str]:
    """The installed, non-built-in plugins that implement ``resolve_secret``."""
    builtin = {info.name for info in plugins.loaded if info.builtin}
    return sorted(
        impl.plugin_name
        for impl in plugins.pm.hook.resolve_secret.get_hookimpls()
        if impl.plugin_name not in builtin
    )


def unhandled_scheme(ref: SecretRef, plugins: Plugins) -> tuple[str, str] | None:
    """(message, fix) when no installed backend can answer ``ref``'s scheme, else None.

    With a secret plugin installed, any scheme may be its own: then only resolving the
    reference tells, and a miss is reported as a secret not found.
    """
    if ref.scheme in BUILTIN_SCHEMES or secret_backends(plugins):
        return None
    message = f"no installed plugin handles secret scheme {ref.scheme!r}"
    plugin = WELL_KNOWN_BACKENDS.get(ref.scheme)
    if plugin is not None:
        fix = f"install {plugin}, which provides the {ref.scheme}: backend"
    else:
        fix = f"install a plugin that implements the resolve_secret hook for {ref.scheme}:"
    return message, f"{fix}; or use env:NAME, file:PATH or credential:NAME"
