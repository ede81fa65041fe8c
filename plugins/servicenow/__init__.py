"""The ServiceNow plugin for itsmhub (imported as ``itsmhub_servicenow``).

It registers the ``servicenow`` connector through the entry-point group ``itsmhub``,
exactly as a third-party plugin would, and imports nothing but the public ``itsmhub``
namespace.
"""
