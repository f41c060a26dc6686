"""Make the collection importable as ansible_collections.stackops.hardened.

The Makefile links the repository into .cache/collections/ansible_collections/stackops/
hardened; when pytest is run from an ansible_collections tree (as ansible-test does),
that path is already importable and nothing is added.
"""
import os
import sys

_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
_TREE = os.path.join(_ROOT, ".cache", "collections")
_LINK = os.path.join(_TREE, "ansible_collections", "stackops", "hardened")

try:
    import ansible_collections.stackops.hardened  # noqa: F401  pylint: disable=unused-import
except ImportError:
    if not os.path.exists(_LINK):
        os.makedirs(os.path.dirname(_LINK), exist_ok=True)
        os.symlink(_ROOT, _LINK)
    sys.path.insert(0, _TREE)
