"""The Whoosh side of the archive: schema and analysis, writing, searching, passages.

It takes and returns plain values and knows nothing of SQLAlchemy or Click.
"""

from index._deferred import install as _defer_whoosh_imports

_defer_whoosh_imports()
