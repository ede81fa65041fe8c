"""The Zendesk Support plugin for itsmhub (imported as ``itsmhub_zendesk``).

It registers the ``zendesk`` connector through the entry-point group ``itsmhub``,
exactly as a third-party plugin would, and imports nothing but the public ``itsmhub``
namespace.
"""
