"""Test doubles of a vendor and its connector, loadable as the plugin ``fakes.plugin``."""
