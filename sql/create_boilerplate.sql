-- Per-source line statistics for the quality stage's `boilerplate` operator (freshdata/quality/boilerplate.py).
-- Written with the day's quality_results in one transaction and replaced whole on re-run. Lines of a day
-- are learned from the rows of the window of days before it. No index: an ART index would cost more
-- bytes than the rows; rows are appended per day (sorted by source, line_hash), so DuckDB's min/max zone
-- maps on partition_date skip the row groups outside the window.
-- One row per line seen on >= min_day_pages distinct fresh pages of the source that day (a line on a
-- single page is never stored), only lines of min_line_chars..max_line_chars with a letter.
CREATE TABLE IF NOT EXISTS boilerplate_lines (
    partition_date DATE NOT NULL,
    source         VARCHAR NOT NULL,
    line_hash      BIGINT NOT NULL,     -- boilerplate.line_hash: line length << 48 | 48 bits of blake2b
    n_pages        INTEGER NOT NULL     -- distinct fresh pages of the source that day with the line
);
-- The source's fresh page count that day: the denominator of the operator's min_share.
CREATE TABLE IF NOT EXISTS boilerplate_sources (
    partition_date DATE NOT NULL,
    source         VARCHAR NOT NULL,
    n_docs         INTEGER NOT NULL
);
