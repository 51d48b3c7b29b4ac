"""Deprecated path, kept for one release: import from admission_flow.engine.catalog."""

from admission_flow.engine.catalog import Catalog as Catalog
from admission_flow.engine.catalog import content_hash as content_hash
from admission_flow.engine.catalog import load_spec_file as load_spec_file
from admission_flow.engine.catalog import load_spec_text as load_spec_text
