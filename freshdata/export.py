"""`freshdata export`: a training mix written from the published snapshots (the only reader that writes a file)."""

from __future__ import annotations

import contextlib
import json
import os
from datetime import date
from functools import partial
from pathlib import Path

import duckdb

from freshdata import store
from freshdata.reader import Refused, first_line, nothing_published_line, open_reader, views_of


def export_mix(home: Path, date_from: date, date_to: date, where: str, fmt: str, out: Path,
               per_source: int | None = None, progress: bool = True, one_per_story: bool = False) -> int:
    """Write the snapshots' rows matching `where` between two days to JSONL, Parquet or synthesis prompts
    (JSONL, one line per document and persona: freshdata.semantic.prompts); returns the lines/rows written.
    one_per_story keeps one document (a stable sample) of each story among the matching rows.

    `where` is applied as one filter expression (DuckDB's relational API parses it alone: a `)` closing the
    query, a UNION or a second statement is a parse error), on the locked reader connection. The file is
    written under a temporary name next to `out` and renamed at the end; on any failure nothing is left."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from tqdm import tqdm

    out = Path(out)
    if out.is_dir():
        raise Refused(f"cannot write {out}: it is a directory")
    con = open_reader(home, verify=True)
    try:
        rows = con.table("snapshots") if "snapshots" in views_of(con) else None
        if rows is None:
            raise Refused(nothing_published_line(home))
        rows = rows.filter(f"snapshot_date BETWEEN DATE '{date_from.isoformat()}' AND DATE '{date_to.isoformat()}'")
        try:
            rows = rows.filter(where or "true")
        except duckdb.Error as exc:
            raise Refused(f"--where must be one SQL expression on snapshot columns: {first_line(exc)}") from None
        if one_per_story:
            rows = rows.query("matching", store.load_sql("export_one_per_story"))
        cap = int(per_source) if per_source is not None else 2**62
        relation = rows.query("matching", store.load_sql("export_mix").replace("{per_source}", str(cap)))
        total = relation.aggregate("count(*)").fetchall()[0][0]
        prompts = None
        if fmt == "synthesis-prompts":
            from freshdata.semantic.personas import load_personas
            from freshdata.semantic.prompts import synthesis_prompts

            describe = {p.id: p.description for p in load_personas()}
            prompts = partial(synthesis_prompts, describe=describe)
        tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
        written = 0
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            reader = relation.to_arrow_reader(batch_size=2048)
            with contextlib.ExitStack() as stack:  # the file is opened before the bar shows: errors come alone
                if fmt == "parquet":
                    writer = stack.enter_context(pq.ParquetWriter(tmp, reader.schema, compression="zstd"))
                else:
                    fh = stack.enter_context(tmp.open("w", encoding="utf-8"))
                bar = stack.enter_context(tqdm(total=total, unit="doc", disable=not progress,
                                               desc=f"export {out.name}"))
                for batch in reader:
                    if fmt == "parquet":
                        writer.write_batch(batch)
                    elif prompts is not None:
                        lines = [json.dumps(p, default=str, ensure_ascii=False) for p in prompts(batch.to_pylist())]
                        fh.write("".join(line + "\n" for line in lines))
                        written += len(lines) - batch.num_rows  # count prompts, not documents
                    else:
                        for row in batch.to_pylist():
                            fh.write(json.dumps(row, default=str, ensure_ascii=False) + "\n")
                    written += batch.num_rows
                    bar.update(batch.num_rows)
            tmp.replace(out)
        except (OSError, pa.ArrowException) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else first_line(exc)
            raise Refused(f"cannot write {out}: {reason}") from None
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
    finally:
        con.close()
    return written
