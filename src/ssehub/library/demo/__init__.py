"""Demo content for a new SSE Hub: one real Task Force document and illustrative records.

See ``README.md`` next to this file for what the demo contains and why the illustrative records
are not real publications. :func:`load_demo` is what ``ssehub demo`` and ``ssehub run`` call.
"""

from ssehub.library.demo.loader import DemoDataError, load_demo, read_entries, run_demo

__all__ = ["DemoDataError", "load_demo", "read_entries", "run_demo"]
