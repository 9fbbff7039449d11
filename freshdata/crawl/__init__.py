"""Crawling: sources discovery, URL frontier, the single fetch path and the raw WARC archive."""
