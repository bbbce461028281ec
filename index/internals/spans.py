"""Whoosh's span "not" matcher, fixed: it asked its second part, once exhausted, for
its document (a leaf matcher raises then), so ``=run`` failed in a segment once the
exact terms of the words stemmed ``run`` had run out (:mod:`index.exact`).

Internals used: ``whoosh.query.spans.SpanNot._Matcher`` and its ``_get_spans`` hook.
"""

from __future__ import annotations

from typing import Any

from whoosh.query import spans


class _NotMatcher(spans.SpanNot._Matcher):
    def _get_spans(self) -> list[Any]:
        if self.b.is_active() and self.a.id() == self.b.id():
            bspans = self.b.spans()
            return [a for a in self.a.spans() if not any(a.overlaps(b) for b in bspans)]
        return list(self.a.spans())


def span_not(a: Any, b: Any) -> Any:
    """The matcher of the spans of matcher *a* that overlap no span of matcher *b*
    (both active)."""
    return _NotMatcher(a, b)
