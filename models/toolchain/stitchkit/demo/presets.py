"""Registers the demo family's architecture as the ``fmnist-s-l`` preset (replacing the provisional one)."""
from stitchkit.presets import Preset, register

from .family import DESCRIPTION, NAME, family_config

register(Preset(NAME, DESCRIPTION, family_config), replace=True)
