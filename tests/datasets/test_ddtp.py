import gzip

import pytest

from deeptasks.cli import main
from deeptasks.datasets import cache, ddtp, debian


def _sample(lang: str) -> dict:
    text = gzip.decompress((ddtp.SAMPLE_DIR / f"Translation-{lang}.gz").read_bytes()).decode()
    return ddtp.parse_translation(text, lang)


def _by_package(records: dict, package: str) -> ddtp.Record:
    return next(r for r in records.values() if r.package == package)


def test_parses_real_records_and_aligns_them_by_md5():
    english, german = _sample("en"), _sample("de")
    assert len(english) == len(german) == 401 and set(english) == set(german)
    en, de = _by_package(english, "0ad-data"), _by_package(german, "0ad-data")
    assert de.synopsis == "Echtzeit-Strategiespiel über antike Kriegsführung (Datendateien)"
    assert len(en.paragraphs) == len(de.paragraphs) == 2
    pairs = ddtp.aligned_sentences(en, de)
    assert pairs[0] == (en.synopsis, de.synopsis)
    assert pairs[-1] == (
        "This package contains the main data files required by 0 A.D.",
        "Dieses Paket enthält die wichtigsten von 0 A.D. benötigten Datendateien.",
    )
    assert len(pairs) == 5  # synopsis + 3 sentences + 1 sentence


@pytest.mark.parametrize(
    "text, sentences",
    [
        ("It is fast. It is small!", ["It is fast.", "It is small!"]),
        ("Tools, e.g. Foo and Bar. Done.", ["Tools, e.g. Foo and Bar.", "Done."]),
        ("Das ist z. B. Text. Noch einer?", ["Das ist z. B. Text.", "Noch einer?"]),
        ("Version 2.0 is here. it continues", ["Version 2.0 is here. it continues"]),
    ],
)
def test_sentence_split_known_answers(text, sentences):
    assert ddtp.split_sentences(text) == sentences


def test_list_and_verbatim_paragraphs_are_marked():
    found = ddtp.paragraphs(["Intro line.", ".", " * item one", " * item two", ".", "Last."])
    assert found == (("Intro line.",), None, ("Last.",))
    assert ddtp.paragraphs(["  indented code"]) == (None,)


@pytest.mark.parametrize(
    "package, family",
    [
        ("libfoo1", "foo"),
        ("libfoo-dev", "foo"),
        ("foo-data", "foo"),
        ("r-cran-abc", "r-cran"),
        ("golang-github-x-y-dev", "golang"),
        ("libxml-libxml-perl", "perl"),
    ],
)
def test_families(package, family):
    assert ddtp.family(package) == family


def test_filters():
    assert ddtp.keep_pair("It is fast.", "Es ist schnell.") is None
    assert ddtp.keep_pair("Fast tool", "Schnelles Werkzeug") == "min_words"
    assert ddtp.keep_pair("See https://x.org for more.", "Siehe https://x.org hier.") == "url"
    assert ddtp.keep_pair("It is fast.", "Es ist schnell und klein und gut und toll.") == (
        "length_ratio"
    )
    assert ddtp.keep_pair("Same text here.", "Same text here.") == "untranslated"


def test_sample_corpus_splits_by_family_without_leaks():
    folder = ddtp.corpus_dir(sample=True)
    manifest = cache.read_manifest(folder)
    assert manifest["filters"] == ddtp.FILTERS and manifest["version"] == ddtp.VERSION
    counts = manifest["counts"]["en-de"]
    families = {}
    for split in ddtp.SPLITS:
        rows = ddtp.read_tsv(folder / "en-de" / f"{split}.tsv")
        assert len(rows) == counts[f"pairs_{split}"] > 0
        families[split] = {ddtp.family(row[2]) for row in rows}
        assert all(min(len(r[0].split()), len(r[1].split())) >= 3 for r in rows)
    assert not families["train"] & families["test"]
    assert not families["train"] & families["val"] and not families["val"] & families["test"]
    assert counts["pairs_train"] > 10 * counts["pairs_test"]


def test_without_apt_one_line_names_the_other_sources(monkeypatch, tmp_path, error_line):
    def offline(*args, **kwargs):
        raise debian.DebianUnavailable("apt-get not found (not a Debian-based system)")

    monkeypatch.setenv("DEEPTASKS_DATA", str(tmp_path))
    monkeypatch.setattr(debian, "fetch_lists", offline)
    assert main(["data", "translation", "--preset", "default"]) == 2
    line = error_line()
    assert "apt-get not found" in line and "ddtp_sample" in line and "tsv" in line
