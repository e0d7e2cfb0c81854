from collections import Counter

from deeptasks.datasets import ddtp, synopses


def _sample_record(package: str) -> ddtp.Record:
    records, _ = ddtp.read_lists(ddtp.SAMPLE_DIR, ("en",))
    return next(r for r in records["en"].values() if r.package == package)


def test_debian_formatting_is_normalised_on_a_real_record():
    record = _sample_record("libdaemon-dev")  # a list between ' .' paragraph marks
    lines = synopses.normalise_body(record.body).split("\n")
    assert lines[0] == (
        "libdaemon is a lightweight C library which eases the writing of UNIX daemons. "
        "It consists of the following parts:"
    )
    assert lines[1] == "Wrapper around fork() for correct daemonization of a process"
    assert lines[5].startswith("An API for running subprocesses")
    assert lines[6].endswith(
        "It is not simple to get these done right and code duplication is not acceptable."
    )
    assert len(lines) == 8 and not any(line.startswith(("*", " ", ".")) for line in lines)


def test_list_item_continuations_and_verbatim_lines():
    body = ["Usage:", "  $ foo --bar", ".", "Features:", " - one", "   continued", "Last."]
    assert synopses.normalise_body(body) == "Usage:\n$ foo --bar\nFeatures:\none continued\nLast."


def test_pairs_are_filtered_and_no_family_is_in_two_splits():
    records, _ = ddtp.read_lists(ddtp.SAMPLE_DIR, ("en",))
    by_split, counts = synopses.build_pairs(records["en"])
    assert counts["pairs_test"] == len(by_split["test"]) > 0
    families = {
        s: Counter(synopses.split_family(r["package"]) for r in rows)
        for s, rows in by_split.items()
    }
    assert not set(families["train"]) & set(families["test"])
    assert not set(families["train"]) & set(families["val"])
    for rows in by_split.values():
        for row in rows:
            assert len(row["document"].split()) >= synopses.FILTERS["min_document_words"]
            assert 2 <= len(row["summary"].split()) <= 20
    assert counts["dropped_min_document_words"] > 0  # short bodies exist in the sample


def test_templated_ecosystems_split_by_the_package_stem():
    assert synopses.split_family("r-cran-ggplot2") == "r-cran:ggplot2"
    assert synopses.split_family("golang-github-foo-bar-dev") == "golang:github-foo-bar"
    assert synopses.split_family("libtest-deep-perl") == "perl:test-deep"
    assert synopses.split_family("libfoo1") == synopses.split_family("libfoo-dev") == "foo"
    splits = {ddtp.split_of(synopses.split_family(f"golang-{n}")) for n in "abcdefghijklmnop"}
    assert splits == {"train", "val", "test"}  # an ecosystem is no longer one family
