"""The Jira Cloud / Jira Service Management plugin for itsmhub (imported as ``itsmhub_jira``).

It registers the ``jira`` connector through the entry-point group ``itsmhub``, exactly as
a third-party plugin would, and imports nothing but the public ``itsmhub`` namespace.
"""
