"""How many of the 300 real pages of ../shared/corpus another project's WARC reader gets from freshdata's archive,
with and without WARC-Identified-Payload-Type (issue 18, part 4), side by side in one run.

Each page is archived the way the fetcher archives it (DayArchive.add, Content-Type text/html as the fetcher
checked, the decoded body); the same records are then written a second time without the payload type (what
freshdata wrote before). datatrove's WarcReader (dev dependency, the real libmagic when installed) reads both.

    .venv/bin/python benchmarks/bench_warc_interop.py
"""

from __future__ import annotations

import gzip
import json
import tempfile
from datetime import date
from pathlib import Path
from unittest import mock

from freshdata.crawl import archive as archive_mod

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def _archive(root: Path, pages: list[bytes], with_type: bool) -> None:
    real = archive_mod.identify_payload_type
    with mock.patch.object(archive_mod, "identify_payload_type", real if with_type else (lambda *_: None)), \
            archive_mod.DayArchive(root, date(2026, 1, 1), "fetch") as out:
        for i, body in enumerate(pages):
            out.add(f"https://corpus.test/p/{i}.html", 200, [("Content-Type", "text/html")], body)


def main() -> None:
    from datatrove.pipeline.readers.warc import WarcReader

    entries = json.loads((CORPUS / "webpages.json").read_text())
    pages = [gzip.decompress((CORPUS / e["file"]).read_bytes()) for e in entries]
    with tempfile.TemporaryDirectory() as tmp:
        for with_type in (False, True):
            root = Path(tmp) / ("with" if with_type else "without")
            _archive(root, pages, with_type)
            docs = list(WarcReader(str(root), glob_pattern="**/*.warc.gz").run())
            label = "with WARC-Identified-Payload-Type" if with_type else "without (freshdata before issue 18)"
            print(f"{label:<40} datatrove read {len(docs)} of {len(pages)} pages ({len(pages) - len(docs)} dropped)")


if __name__ == "__main__":
    main()
