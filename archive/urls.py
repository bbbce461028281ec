"""Canonical URLs: two addresses of the same article compare equal.

The canonical form is what the archive matches updates on (``articles.url_key``):

- scheme and host lower-cased, default ports (``:80`` for http, ``:443`` for https) dropped;
- the fragment (``#...``) dropped;
- tracking parameters dropped: every ``utm_*`` parameter and the click/campaign
  identifiers listed in :data:`TRACKING_PARAMS`; the remaining parameters keep their order;
- a trailing slash on the path dropped (``/news/story/`` is ``/news/story``; the root is ``/``).

The scheme is kept as it is (``http`` and ``https`` stay different addresses), and so
are the path's letter case and its percent-escapes: servers may treat them as different.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: Query parameters that only track the reader (besides every ``utm_*``), lower case.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wickedid",
        "ocid",
        "cmpid",
        "ncid",
        "s_cid",
        "at_medium",
        "at_campaign",
        "xtor",
        "ito",
        "ref_src",
        "ref_url",
        "smid",
        "sr_share",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
    }
)

_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str | None) -> str | None:
    """The canonical form of *url* (see the module docstring); ``None`` for a blank one.

    Text that is not an absolute URL (no scheme and host) is returned stripped, so it
    still matches itself exactly.
    """
    if url is None:
        return None
    url = url.strip()
    if not url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not scheme or not host:
        return url
    netloc = host if ":" not in host else f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    if parts.username:
        auth = parts.username + (f":{parts.password}" if parts.password else "")
        netloc = f"{auth}@{netloc}"
    path = parts.path.rstrip("/") or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _tracking(k)]
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def _tracking(name: str) -> bool:
    low = name.lower()
    return low.startswith("utm_") or low in TRACKING_PARAMS
