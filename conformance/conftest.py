"""Conformance tests run with the same framework set-up as the report."""

from imbalance_losses_conformance.frameworks import _import_frameworks

_import_frameworks()
