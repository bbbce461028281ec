"""The Whoosh side of the archive: schema and analysis, writing, searching, passages.

It takes and returns plain values and knows nothing of SQLAlchemy or Click.
Whatever depends on Whoosh 2.7.4's internals lives in :mod:`index.internals`.
"""

from index import internals as _internals

if _internals.enabled():
    from index.internals.deferred import install as _defer_whoosh_imports

    _defer_whoosh_imports()
