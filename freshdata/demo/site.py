"""The bundled demo web site: a small news site that publishes new articles every simulated day.

It serves every discovery format (RSS, Atom, JSON Feed, a sitemap index with a gzipped child, a seed page),
answers conditional requests with 304, syndicates some articles on later days (exact and lightly edited
copies, for dedup), and carries the pages a real crawl meets: a 404, a slow page, a PDF, a robots-disallowed
page, an AI-opted-out page and pages that trip each quality rule. Loopback only.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import html
import json
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

from freshdata import clock
from freshdata.demo.articles import ARTICLES, syndicated_edit
from freshdata.quality.demo_samples import DEMO_SAMPLES, DEMO_URL_PATHS

SLOW_PAGE_DELAY_S = 4.0
# Printed under every article, inside <article>, so the extractor keeps it: the quality stage's `boilerplate`
# operator learns it from a source's earlier days and removes it (a line it repeats is not the story).
COMMENTS_NOTE = "Comments are moderated. Please read our community guidelines before you post."


@dataclass(frozen=True)
class Page:
    path: str
    title: str
    text: str
    day: int  # first simulated day it is published on (1-based)
    channel: str  # rss | atom | json | sitemap | seed
    section: str = "news"
    author: str = "Demo Desk"
    noai: bool = False


def _schedule() -> list[Page]:
    """Which page appears on which day, and through which discovery channel."""
    channels = ["rss", "atom", "json", "rss", "atom", "json"]
    pages = [
        Page(f"/{a['section']}/{a['slug']}.html", a["title"], a["text"], 1 + i // 6, channels[i % 6],
             a["section"], a["author"])
        for i, a in enumerate(ARTICLES)
    ]
    sample_days = {"good_health": 1, "good_sports": 1, "boilerplate_cookies": 1, "repetition_spam": 1,
                   "good_software": 2, "german_article": 2, "pii_article": 2,
                   "good_garden": 3, "blocklisted_domain": 3, "adult_words": 3,
                   "japanese_article": 1, "hindi_article": 2, "zulu_notice": 3}
    for name, day in sample_days.items():
        title = name.replace("_", " ").title()
        pages.append(Page(DEMO_URL_PATHS[name], title, DEMO_SAMPLES[name], day, "sitemap"))
    a = ARTICLES
    pages += [  # syndication: the same story again on a partner path (exact) or lightly edited (near)
        Page(f"/partner/{a[0]['slug']}.html", a[0]["title"], a[0]["text"], 2, "seed"),
        Page(f"/partner/{a[1]['slug']}.html", a[1]["title"], syndicated_edit(a[1]["text"]), 2, "seed"),
        Page(f"/partner/{a[7]['slug']}.html", a[7]["title"], syndicated_edit(a[7]["text"]), 3, "seed"),
        Page(f"/wire/{a[8]['slug']}.html", a[8]["title"], a[8]["text"], 3, "seed"),
        Page("/members/essay.html", "Members essay", a[2]["text"], 1, "seed"),  # AI-crawler robots group
        Page("/private/draft.html", "Draft", a[3]["text"], 1, "seed"),  # disallowed for everyone
        Page("/opinion/no-ai.html", "Opinion", a[4]["text"], 2, "seed", noai=True),  # <meta robots noai>
    ]
    return pages


PAGES = _schedule()
SPECIAL_LINKS = {1: ["/gone/missing.html", "/files/annual-report.pdf", "/slow/page.html", "/tag/archive.html"]}

ROBOTS_TXT = """User-agent: *
Disallow: /private/
Crawl-delay: 0

User-agent: GPTBot
Disallow: /members/

Sitemap: {base}/sitemap_index.xml
"""


class LoopbackSite:
    """A threaded HTTP server on 127.0.0.1 (port 0: any free one) that hands every GET to `_serve`.

    The demo site and the tests' generated sites share it, so only their content differs."""

    def __init__(self, port: int = 0) -> None:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                site._serve(self)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


LIVE_SENTENCES = [
    "The city council met again this morning to discuss the budget for the coming year.",
    "Traffic on the harbour bridge moved slowly after a delivery van broke down in the left lane.",
    "Forecasters expect light rain in the afternoon and a cold, clear evening across the valley.",
    "Shop owners on the market street said business had picked up since the new tram stop opened.",
    "A spokesperson for the water utility said repairs on the old main would take two more days.",
    "Volunteers handed out hot soup and blankets outside the library for most of the night.",
    "The regional hospital reported that its emergency ward was busy but coping well.",
    "Parents at the primary school asked for a safer crossing in front of the main gate.",
    "The football club confirmed that its captain will miss the weekend match with a knee injury.",
    "A small fire in a bakery kitchen was put out quickly and nobody was hurt.",
    "Train services to the coast are running again after a signal fault near the old station.",
    "The museum will stay open late on Friday for a talk about the history of the canal.",
    "Farmers in the northern villages said the late frost had damaged some of the early crops.",
    "Police asked drivers to avoid the ring road while workers cleared a spilled load of gravel.",
    "The mayor said the new housing plan would be put to a public vote in the spring.",
    "Students from the technical college showed off a solar boat they built over the summer.",
    "The price of bread at the covered market rose for the third week in a row.",
    "Residents near the airport complained again about noise from early morning flights.",
    "A new cycling lane along the river path will be finished before the end of the month.",
    "The theatre company announced a winter season with four new plays by local writers.",
    "Bus drivers and the transport authority reached an agreement on shift times late last night.",
    "The zoo welcomed two red panda cubs, and keepers said both were healthy and curious.",
    "Engineers began checking the old stone bridge after cracks were reported by walkers.",
    "The public pool will close for a week while the heating system is replaced.",
    "A charity run through the park raised more money this year than ever before.",
    "The court adjourned the case until next Tuesday to allow more witnesses to be heard.",
    "Local restaurants reported strong bookings ahead of the food festival on Saturday.",
    "The fire brigade reminded households to test their smoke alarms before the cold season.",
    "A recycling centre on the east side will accept old electronics free of charge this week.",
    "Nurses at the clinic said the flu vaccine was in good supply for anyone who wanted it.",
    "The harbour master warned small boats to stay in port while the strong winds last.",
    "Workers finished painting the murals under the railway arches ahead of schedule.",
    "Several streets in the old town will be closed on Sunday for the autumn parade.",
    "The university opened a new reading room that stays open around the clock.",
    "Families gathered in the square to watch the first lights of the winter market go on.",
    "A lost dog was reunited with its owners after a neighbour shared a photo online.",
    "The chamber of commerce said more young people were starting small businesses in the area.",
    "Road crews spread salt on the hill roads in case the temperature drops below freezing.",
    "The choir will sing at the cathedral on Thursday evening, and tickets are still available.",
    "An inspection found the playground equipment in the west park safe for children to use.",
]
LIVE_INTERVAL = timedelta(minutes=15)
LIVE_FEED_ITEMS = 40
LIVE_ARCHIVE_ITEMS = 12


@dataclass(frozen=True)
class LiveDesk:
    """A live news desk: article n is published at `start` + n x 15 minutes, and the feed (the latest 40) and
    the pages show only what is published by freshdata.clock.now(), the clock the demo and tests freeze at each
    simulated hour's end. Each article is a different mix of sentences (so dedup keeps them all)."""

    start: datetime

    def published(self, n: int) -> datetime:
        return self.start + n * LIVE_INTERVAL

    def latest(self) -> int:
        """The number of the newest article published by now, -1 before the first."""
        return (clock.now() - self.start) // LIVE_INTERVAL

    def text(self, n: int) -> str:
        rng = random.Random(n)
        at = self.published(n).strftime("%H:%M")
        paragraphs = [f"Update number {n} from the live desk, filed at {at} on "
                      f"{self.published(n).strftime('%A %d %B %Y')}. Here is what our reporters saw this hour."]
        picked = rng.sample(LIVE_SENTENCES, 15)
        paragraphs += [" ".join(picked[i:i + 3]) for i in range(0, 15, 3)]
        return "\n\n".join(paragraphs)

    def page(self, n: int) -> str:
        title = f"Live desk update {n}"
        paragraphs = "\n".join(f"<p>{html.escape(p)}</p>" for p in self.text(n).split("\n\n"))
        return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
                f'<meta property="article:published_time" content="{self.published(n).isoformat()}"></head>'
                f"<body><main><article><h1>{title}</h1>{paragraphs}</article></main></body></html>")

    def rss(self, base: str) -> str:
        newest = self.latest()
        items = "".join(
            f"<item><title>Live desk update {n}</title><link>{base}/live/{n}.html</link><guid>{base}/live/{n}.html"
            f"</guid><pubDate>{format_datetime(self.published(n))}</pubDate></item>"
            for n in range(newest, max(-1, newest - LIVE_FEED_ITEMS), -1))
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Live desk</title>'
                f"<link>{base}/</link><description>Every 15 minutes</description>{items}</channel></rss>")

    def archive(self) -> str:
        """A seed page linking the latest articles (a source checked once a day)."""
        newest = self.latest()
        links = "".join(f'<li><a href="/live/{n}.html">Live desk update {n}</a></li>'
                        for n in range(newest, max(-1, newest - LIVE_ARCHIVE_ITEMS), -1))
        return f"<!DOCTYPE html><html><head><title>Live desk archive</title></head><body><ul>{links}</ul></body></html>"

    def route(self, path: str, base: str) -> tuple[int, str, bytes, dict[str, str]] | None:
        if path == "/live.xml":
            return 200, "application/rss+xml; charset=utf-8", self.rss(base).encode(), {}
        if path == "/live/archive.html":
            return 200, "text/html; charset=utf-8", self.archive().encode(), {}
        if path.startswith("/live/") and path.endswith(".html"):
            number = path[len("/live/"):-len(".html")]
            if number.isdigit() and int(number) <= self.latest():
                return 200, "text/html; charset=utf-8", self.page(int(number)).encode(), {}
        return None


class LiveDeskSite(LoopbackSite):
    """A loopback site that is only a live desk (the intraday tests)."""

    def __init__(self, start: datetime, port: int = 0) -> None:
        self.desk = LiveDesk(start)
        self.requests: list[str] = []
        super().__init__(port)

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        self.requests.append(handler.path)
        send_routed(handler, self.desk.route(handler.path.split("?", 1)[0], self.base))


class DemoSite(LoopbackSite):
    """The demo's news site, whose content depends on the simulated day."""

    def __init__(self, port: int = 0, days: list[date] | None = None, live_start: datetime | None = None) -> None:
        self.day = 1
        self.days = days or [date(2026, 1, d) for d in (1, 2, 3)]
        self.live = LiveDesk(live_start) if live_start else None  # /live.xml: the demo's intraday source
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # (method, path, headers) for tests
        super().__init__(port)

    # ---- content -------------------------------------------------------------------------------
    def published(self, page_day: int) -> datetime:
        return datetime.combine(self.days[page_day - 1], dtime(6, 0), UTC)

    def visible(self, channel: str | None = None) -> list[Page]:
        return [p for p in PAGES if p.day <= self.day and (channel is None or p.channel == channel)]

    def _page_html(self, page: Page) -> str:
        paragraphs = "\n".join(f"<p>{html.escape(p)}</p>" for p in page.text.split("\n\n") if p.strip())
        robots = '<meta name="robots" content="noai, noimageai">' if page.noai else ""
        published = self.published(page.day).date().isoformat()
        return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(page.title)} | Demo Gazette</title>
<meta name="author" content="{html.escape(page.author)}">
<meta property="article:published_time" content="{published}">{robots}</head>
<body><header><nav><a href="/">Home</a> | <a href="/news/">News</a> | <a href="/tech/">Tech</a></nav></header>
<main><article><h1>{html.escape(page.title)}</h1>
<p class="byline">By {html.escape(page.author)}, {published}</p>
{paragraphs}
<p class="note">{COMMENTS_NOTE}</p>
</article></main>
<footer><p>Demo Gazette, a fictional newspaper served by freshdata's demo.</p></footer></body></html>"""

    def _rss(self) -> str:
        items = "".join(
            f"<item><title>{html.escape(p.title)}</title><link>{self.base}{p.path}</link>"
            f"<guid>{self.base}{p.path}</guid><pubDate>{format_datetime(self.published(p.day))}</pubDate></item>"
            for p in self.visible("rss")
        )
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Demo Gazette</title>'
                f"<link>{self.base}/</link><description>News</description>{items}</channel></rss>")

    def _atom(self) -> str:
        entries = "".join(
            f"<entry><title>{html.escape(p.title)}</title><link href=\"{self.base}{p.path}\"/>"
            f"<id>{self.base}{p.path}</id><published>{self.published(p.day).isoformat()}</published>"
            f"<updated>{self.published(p.day).isoformat()}</updated></entry>"
            for p in self.visible("atom")
        )
        return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                f"<title>Demo Gazette Tech</title><id>{self.base}/atom.xml</id>"
                f"<updated>{self.published(self.day).isoformat()}</updated>{entries}</feed>")

    def _json_feed(self) -> str:
        items = [{"id": f"{self.base}{p.path}", "url": f"{self.base}{p.path}", "title": p.title,
                  "date_published": self.published(p.day).isoformat()} for p in self.visible("json")]
        return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Demo Gazette Sports",
                           "items": items})

    def _urlset(self, pages: list[tuple[str, datetime]]) -> str:
        urls = "".join(f"<url><loc>{self.base}{path}</loc><lastmod>{stamp.date().isoformat()}</lastmod></url>"
                       for path, stamp in pages)
        return ('<?xml version="1.0" encoding="UTF-8"?>'
                f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>')

    def _route(self, path: str) -> tuple[int, str, bytes, dict[str, str]] | None:
        xml = "application/xml; charset=utf-8"
        pages = {p.path: p for p in self.visible()}
        if path == "/robots.txt":
            return 200, "text/plain", ROBOTS_TXT.format(base=self.base).encode(), {}
        if path == "/rss.xml":
            return 200, "application/rss+xml; charset=utf-8", self._rss().encode(), {}
        if path == "/atom.xml":
            return 200, "application/atom+xml; charset=utf-8", self._atom().encode(), {}
        if path == "/feed.json":
            return 200, "application/feed+json", self._json_feed().encode(), {}
        if path == "/sitemap_index.xml":
            body = ('<?xml version="1.0" encoding="UTF-8"?>'
                    '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                    f"<sitemap><loc>{self.base}/sitemaps/pages.xml.gz</loc></sitemap>"
                    f"<sitemap><loc>{self.base}/sitemaps/static.xml</loc></sitemap></sitemapindex>")
            return 200, xml, body.encode(), {}
        if path == "/sitemaps/pages.xml.gz":
            urlset = self._urlset([(p.path, self.published(p.day)) for p in self.visible("sitemap")])
            return 200, "application/gzip", gzip.compress(urlset.encode(), mtime=0), {}
        if path == "/sitemaps/static.xml":  # never changes: later days get a 304
            return 200, xml, self._urlset([(p, self.published(1)) for p in SPECIAL_LINKS[1]]).encode(), {}
        if path in ("/", "/index.html"):
            links = "".join(f'<li><a href="{p.path}">{html.escape(p.title)}</a></li>'
                            for p in self.visible("seed"))
            body = (f"<!DOCTYPE html><html><head><title>Demo Gazette</title></head><body><h1>Partners</h1>"
                    f'<ul>{links}<li><a href="https://elsewhere.example/">Elsewhere</a></li></ul></body></html>')
            return 200, "text/html; charset=utf-8", body.encode(), {}
        if self.live is not None and path.startswith("/live"):
            return self.live.route(path, self.base)
        if path == "/files/annual-report.pdf":
            return 200, "application/pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n", {}
        if path == "/slow/page.html":
            time.sleep(SLOW_PAGE_DELAY_S)
            return 200, "text/html; charset=utf-8", b"<html><body><p>Finally.</p></body></html>", {}
        page = pages.get(path)
        if page is not None:
            extra = {"X-Robots-Tag": "noai"} if page.noai else {}
            return 200, "text/html; charset=utf-8", self._page_html(page).encode(), extra
        return None

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        self.requests.append(("GET", handler.path, dict(handler.headers)))
        path = handler.path.split("?", 1)[0]
        send_routed(handler, self._route(path))


NOT_FOUND = (404, "text/html; charset=utf-8", b"<html><body>Not found</body></html>", {})


def send_routed(handler: BaseHTTPRequestHandler, routed: tuple[int, str, bytes, dict[str, str]] | None) -> None:
    """Answer with a route's (status, content type, body, extra headers), 404 without one; a 200 carries an ETag
    of its body and answers 304 to a request that already has it (so conditional GETs are exercised)."""
    status, ctype, body, extra = routed or NOT_FOUND
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    if status == 200 and handler.headers.get("If-None-Match") == etag:
        handler.send_response(304)
        handler.send_header("ETag", etag)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body)))
    if status == 200:
        handler.send_header("ETag", etag)
    for key, value in extra.items():
        handler.send_header(key, value)
    handler.end_headers()
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        handler.wfile.write(body)


def demo_sources_yaml(base: str, port: int, live: bool = False) -> str:
    """The sources file the demo runs with: every discovery kind against the local site (and with `live`, the
    site's live desk, an hourly source)."""
    return f"""# freshdata demo sources: the bundled site on loopback (only this host:port is allowed)
crawl:
  user_agent: "freshdata-demo/0.1 (+https://github.com/freshdata/freshdata#for-site-owners)"
  per_host_delay_s: 0
  per_host_concurrency: 8
  timeout_s: 2
  max_retries: 1
  private_hosts_allowed: ["127.0.0.1:{port}"]
sources:
  - name: gazette-news
    kind: feed
    url: {base}/rss.xml
    tags: {{category: news}}
  - name: gazette-tech
    kind: feed
    url: {base}/atom.xml
    tags: {{category: tech}}
  - name: gazette-sports
    kind: feed
    url: {base}/feed.json
    tags: {{category: sports}}
  - name: gazette-sitemap
    kind: sitemap
    url: {base}/sitemap_index.xml
    exclude: ["/tag/"]
  - name: gazette-partners
    kind: page
    url: {base}/index.html
    max_documents_per_run: 50
""" + (f"""  - name: gazette-live
    kind: feed
    url: {base}/live.xml
    schedule: {{cadence: hourly}}  # checked by every hourly run; the sources above once a day
""" if live else "")
