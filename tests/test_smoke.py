from archive import Archive


def test_sample_is_searchable(archive: Archive) -> None:
    results = archive.search("deploy")
    assert results.total == 1
    assert results.hits[0].id == 1
