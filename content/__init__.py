"""Every user-visible sentence, as YAML per locale, and the loader that validates it."""

from content.loader import Catalog, ContentError, Texts, load

__all__ = ["Catalog", "ContentError", "Texts", "load"]
