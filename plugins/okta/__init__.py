"""The Okta plugin for itsmhub (imported as ``itsmhub_okta``): people and devices.

It registers the ``okta`` connector through the entry-point group ``itsmhub``, exactly
as a third-party plugin would, and imports nothing but the public ``itsmhub`` namespace.
"""
