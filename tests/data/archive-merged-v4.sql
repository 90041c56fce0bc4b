-- An archive written by schema 4 before the identity rule for shared links: the release at
-- 02607c5 (2026-12-02) polling a local site twice. A blog whose four notes are anchors of
-- one day page, archived as one article with an "edit"; a podcast whose three episodes
-- link the show's home page (answering 403), archived as one article with two "edits" that
-- are other episodes; and one ordinary story. Kept to test schema step 5 (store/identity.py).
PRAGMA user_version = 4;
BEGIN TRANSACTION;
CREATE TABLE article_urls (
    url TEXT PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id),
    kind TEXT NOT NULL
);
INSERT INTO "article_urls" VALUES('http://127.0.0.1:40293/2017/06/24.html',1,'linked');
INSERT INTO "article_urls" VALUES('http://127.0.0.1:40293/show/',2,'linked');
INSERT INTO "article_urls" VALUES('http://127.0.0.1:40293/2017/06/bridge.html',3,'linked');
CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    first_seen_at TEXT NOT NULL,
    last_checked_at TEXT,
    page_etag TEXT,
    page_last_modified TEXT,
    page_sha256 TEXT,
    last_error TEXT,
    last_error_at TEXT
, current_version_id INTEGER REFERENCES versions (id), revisits INTEGER NOT NULL DEFAULT 0, next_check_at TEXT);
INSERT INTO "articles" VALUES(1,'http://127.0.0.1:40293/2017/06/24.html','2026-12-02T07:09:35+00:00','2026-12-02T07:09:44+00:00',NULL,NULL,'76701713ae32b045006e10f87b3be97ff17d9823dc7feb5306cbd9e5077185f9',NULL,NULL,5,0,'2026-12-02T07:24:44+00:00');
INSERT INTO "articles" VALUES(2,'http://127.0.0.1:40293/show/','2026-12-02T07:09:37+00:00','2026-12-02T07:09:45+00:00',NULL,NULL,NULL,'fetch: 403 forbidden','2026-12-02T07:09:45+00:00',6,0,'2026-12-02T07:24:45+00:00');
INSERT INTO "articles" VALUES(3,'http://127.0.0.1:40293/2017/06/bridge.html','2026-12-02T07:09:38+00:00','2026-12-02T07:09:38+00:00',NULL,NULL,'5de7a66d7570cea1abdb142505ca72df6ed6f36e469012958f2282553cc3b5a1',NULL,NULL,3,0,'2026-12-02T07:24:38+00:00');
CREATE TABLE daemon (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pid INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    tick INTEGER NOT NULL,
    stopped_at TEXT
);
CREATE TABLE feed_entries (
    feed_id INTEGER NOT NULL REFERENCES feeds (id),
    entry_key TEXT NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles (id),
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL, entry TEXT,
    PRIMARY KEY (feed_id, entry_key)
);
INSERT INTO "feed_entries" VALUES(1,'note-100632',1,'2026-12-02T07:09:35+00:00','2026-12-02T07:09:35+00:00','{"author": null, "categories": [], "content": null, "guid": "note-100632", "key": "note-100632", "link": "http://127.0.0.1:40293/2017/06/24.html#a100632", "published": "2017-06-24T10:00:00+00:00", "summary": "The ferry timetable for the summer was published this morning, with two extra crossings on weekends and an earlier first boat on Mondays.", "title": "Note 100632", "updated": null}');
INSERT INTO "feed_entries" VALUES(1,'note-100633',1,'2026-12-02T07:09:36+00:00','2026-12-02T07:09:36+00:00','{"author": null, "categories": [], "content": null, "guid": "note-100633", "key": "note-100633", "link": "http://127.0.0.1:40293/2017/06/24.html#a100633", "published": "2017-06-24T10:00:00+00:00", "summary": "The library on the square will close for three weeks in July while the roof is repaired, the council said in a short statement on its site.", "title": "Note 100633", "updated": null}');
INSERT INTO "feed_entries" VALUES(2,'episode-1',2,'2026-12-02T07:09:37+00:00','2026-12-02T07:09:37+00:00','{"author": null, "categories": [], "content": null, "guid": "episode-1", "key": "episode-1", "link": "http://127.0.0.1:40293/show/", "published": "2017-06-24T08:00:00+00:00", "summary": "Episode one: the harbour master explains how the tides decide when the big ships may come in, and why the pilots start before dawn.", "title": "Episode 1", "updated": null}');
INSERT INTO "feed_entries" VALUES(1,'story-1',3,'2026-12-02T07:09:38+00:00','2026-12-02T07:09:38+00:00','{"author": null, "categories": [], "content": null, "guid": "story-1", "key": "story-1", "link": "http://127.0.0.1:40293/2017/06/bridge.html", "published": "2017-06-24T09:00:00+00:00", "summary": "The old bridge reopened.", "title": "Bridge reopens", "updated": null}');
INSERT INTO "feed_entries" VALUES(2,'episode-2',2,'2026-12-02T07:09:39+00:00','2026-12-02T07:09:39+00:00','{"author": null, "categories": [], "content": null, "guid": "episode-2", "key": "episode-2", "link": "http://127.0.0.1:40293/show/", "published": "2017-06-24T08:00:00+00:00", "summary": "Episode two: two fishermen on the quotas, the weather and the new cold store, and what it means for the boats that stay out longest.", "title": "Episode 2", "updated": null}');
INSERT INTO "feed_entries" VALUES(1,'note-100634',1,'2026-12-02T07:09:42+00:00','2026-12-02T07:09:42+00:00','{"author": null, "categories": [], "content": null, "guid": "note-100634", "key": "note-100634", "link": "http://127.0.0.1:40293/2017/06/24.html#a100634", "published": "2017-06-24T10:00:00+00:00", "summary": "Swimmers are asked to keep clear of the north beach until the lifeguards'' new tower is finished, which the builders expect by Friday evening.", "title": "Note 100634", "updated": null}');
INSERT INTO "feed_entries" VALUES(1,'note-100635',1,'2026-12-02T07:09:44+00:00','2026-12-02T07:09:44+00:00','{"author": null, "categories": [], "content": null, "guid": "note-100635", "key": "note-100635", "link": "http://127.0.0.1:40293/2017/06/24.html#a100635", "published": "2017-06-24T10:00:00+00:00", "summary": "The market moves to the harbour car park for the festival weekend, and the usual stalls will be joined by a dozen from the islands.", "title": "Note 100635", "updated": null}');
INSERT INTO "feed_entries" VALUES(2,'episode-3',2,'2026-12-02T07:09:45+00:00','2026-12-02T07:09:45+00:00','{"author": null, "categories": [], "content": null, "guid": "episode-3", "key": "episode-3", "link": "http://127.0.0.1:40293/show/", "published": "2017-06-24T08:00:00+00:00", "summary": "Episode three: the lighthouse keeper''s daughter on growing up on the rock, the supply boat, and the night the lamp failed in a storm.", "title": "Episode 3", "updated": null}');
CREATE TABLE feeds (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    name TEXT,
    section TEXT,
    interval INTEGER,
    title TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    etag TEXT,
    last_modified TEXT,
    added_at TEXT NOT NULL,
    last_polled_at TEXT,
    last_success_at TEXT,
    last_status TEXT,
    last_http_status INTEGER,
    last_error TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_poll_at TEXT
, poll_url TEXT, gone_at TEXT, content_sha256 TEXT, server_interval INTEGER);
INSERT INTO "feeds" VALUES(1,'http://127.0.0.1:40293/blog.xml','blog',NULL,NULL,'Notes',1,NULL,NULL,'2026-12-02T07:09:32+00:00','2026-12-02T07:09:40+00:00','2026-12-02T07:09:40+00:00','ok',200,NULL,0,'2026-12-02T07:41:38+00:00',NULL,NULL,'995e93ea1c5dad487750248099ff80dea72cc030db3bb8719a9209d97cf473e3',NULL);
INSERT INTO "feeds" VALUES(2,'http://127.0.0.1:40293/podcast.xml','podcast',NULL,NULL,'Harbour talk',1,NULL,NULL,'2026-12-02T07:09:32+00:00','2026-12-02T07:09:40+00:00','2026-12-02T07:09:40+00:00','ok',200,NULL,0,'2026-12-02T07:40:46+00:00',NULL,NULL,'53285bf750377ddc6e7d85cf19201dfec48761dd73af2237772e35eecb5f9420',NULL);
CREATE TABLE polls (
    id INTEGER PRIMARY KEY,
    feed_id INTEGER NOT NULL REFERENCES feeds (id),
    started_at TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    status TEXT NOT NULL,
    http_status INTEGER,
    new_articles INTEGER NOT NULL,
    new_versions INTEGER NOT NULL,
    error TEXT,
    page_errors TEXT NOT NULL
);
INSERT INTO "polls" VALUES(1,1,'2026-12-02T07:09:32+00:00',6136,'ok',200,2,2,NULL,'[]');
INSERT INTO "polls" VALUES(2,2,'2026-12-02T07:09:32+00:00',7015,'ok',200,1,2,NULL,'["http://127.0.0.1:40293/show/: fetch: 403 forbidden", "http://127.0.0.1:40293/show/: fetch: 403 forbidden"]');
INSERT INTO "polls" VALUES(3,1,'2026-12-02T07:09:40+00:00',4011,'ok',200,0,1,NULL,'[]');
INSERT INTO "polls" VALUES(4,2,'2026-12-02T07:09:40+00:00',5011,'ok',200,0,1,NULL,'["http://127.0.0.1:40293/show/: fetch: 403 forbidden"]');
CREATE TABLE raw_pages (
    sha256 TEXT PRIMARY KEY,
    encoding TEXT NOT NULL,
    size INTEGER NOT NULL,
    content BLOB NOT NULL,
    first_fetched_at TEXT NOT NULL
);
INSERT INTO "raw_pages" VALUES('9c7ea33cf76eb92439ee082572c42222fe987254b6cc7336a8f9a18ecffb6a2a','zstd',503,X'28B52FFD60F70065090086153D1F5069DB0686BFBB13D4E4941E937E8F8ADB03AA5B9BFEA0591C17AA313313423800320033000B25C3911040200C3410287DB2447B1125635D79E7EC67908C8592536C2835EA21071D3460208EA75B140F3852B2D64649612E9458EB8502DB0BF9C7F4572BF3038253B7AF9D75F5552E56862C8B3332DF6C6DE1E7EAEF539E0CC1CEA6FD663795E73A480B948E75D08F8F25674C99E7E2A2D02C2EA22C9138282D0E02E006957B058D0F79F3AAF24D658B7987570ECFCA65422673F7CE084E99DF26C789B55EE7A0E414DBC9563EB7BA6CD9D8FCDEB7F8A814F94C13B7BCE4A0721517B967BDF2DE26D3C5BC618BE24ECF99CB011400BF3BF0A4218734B7B0B234675BAE4ADDD875B146E5B35B55B016700C10391A057CC65521A925349101DACC551217855B6E9864','2026-12-02T07:09:35+00:00');
INSERT INTO "raw_pages" VALUES('5de7a66d7570cea1abdb142505ca72df6ed6f36e469012958f2282553cc3b5a1','zstd',331,X'28B52FFD604B007D060042CF291B80356D03C824565A92FDEC7EDBFE26C0B9B9A817BE87701666830606198D849034FED1B98ABDECBDAA38090E3B49036EE816BF5EBA47B6787DF3B0D3AEBE3D1F2F822205E05C4A86D493617F2FD1DA9D1177896BA22F4018EEFC243BEFA53A77F2A6A9DB177AC64E6ABCF190F7BD2EEC879D5D6D024F7A4316856D5FFBE70A3F487F38605431031CA0217BAD98E368811452389DD2DBDFE1E412CCA1CE2EE6D86131C8682C010D00113B2460CB654572C91850A8B9262C59C3183CAC2C2828AE4E352D279B47E1B61C2619','2026-12-02T07:09:38+00:00');
INSERT INTO "raw_pages" VALUES('76701713ae32b045006e10f87b3be97ff17d9823dc7feb5306cbd9e5077185f9','zstd',893,X'28B52FFD607D02BD0E00D69F5722406BDB06B69F97AD7E37114754B6FDE2D86CAF4E3D5D5BA730304A41CC8C6198330152004B004A00AD35FC5CFD7DCB9325D8D9B4FFECE6F25C0B8941A9B110F4C64229D1700C2C160C4C14287D32457B1125C6FAF2CED92F2131164A4EB1A1F4A897200841048C45E3E99A83073452B2D64649612E9458EB8502CA1953E7B9D8383C8B9B2873381094180401F083CA3D84C697BC7975F9A6B2C5BCC32B8767E5F291E9DCBD338353E6B7CA711B22FF9CFE6A75AE6070EAF6B5B3AEBECAC5CA928639A3F3CD4EBA27582D360CB92863DAAEF9523093AFDEE716932967321F7F0FC6B33A0A0101D9CAE756972D1B9BDFFB161F95229FA9E29AA72854AE22937BD62FEF6D325DCE1FD61CDCE93973F9B189B55E088292536C8872C858DBDBE52E239E3AAA74FA1A9E0933C6B0E146C1F0419B73792C325F54BECD4B1617E7C36BEF7C2C3601817CC83FA8740DFE246F251988544C9B64290AA7CBA6F3FA01312070426293764533F0279B652EE986709E31A38D50DB88DE4B4308A7266B71032417594501204E8497708B1B83B986F6B00D63BCB41BE5BA1301AFC2BE37D21B317807967B98881B61C93C42E6009ED18906DEA56EB82E362A5FDCAA626D1C1B916314F0C555216D090119B5995B89CB71CB0D980C','2026-12-02T07:09:42+00:00');
CREATE TABLE revisits (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id),
    version_id INTEGER NOT NULL REFERENCES versions (id),
    seen_at TEXT NOT NULL
);
CREATE TABLE versions (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id),
    number INTEGER NOT NULL,
    fetched_at TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    section TEXT,
    title TEXT,
    author TEXT,
    author_role TEXT,
    author_bio TEXT,
    image_alt TEXT,
    image_caption TEXT,
    body TEXT NOT NULL,
    published_at TEXT,
    modified_at TEXT,
    text TEXT NOT NULL,
    word_count INTEGER NOT NULL,
    source TEXT NOT NULL,
    extractor TEXT NOT NULL,
    changed_fields TEXT NOT NULL,
    raw_sha256 TEXT REFERENCES raw_pages (sha256), kind TEXT NOT NULL DEFAULT 'edit',
    UNIQUE (article_id, number)
);
INSERT INTO "versions" VALUES(1,1,1,'2026-12-02T07:09:35+00:00','91b70f9f5feeb93f54d40c18c4c7b7045bf66c57f931b29ea1493e82470d57d2',NULL,'24 June 2017',NULL,NULL,NULL,NULL,NULL,'Note 100632
The ferry timetable for the summer was published this morning, with two extra crossings on weekends and an earlier first boat on Mondays.
The library on the square will close for three weeks in July while the roof is repaired, the council said in a short statement on its site.','2017-06-24',NULL,'24 June 2017

1 min read

Note 100632

The ferry timetable for the summer was published this morning, with two extra crossings on weekends and an earlier first boat on Mondays.

The library on the square will close for three weeks in July while the roof is repaired, the council said in a short statement on its site.
',52,'page','trafilatura 2.3.1, rules 3','[]','9c7ea33cf76eb92439ee082572c42222fe987254b6cc7336a8f9a18ecffb6a2a','first');
INSERT INTO "versions" VALUES(2,2,1,'2026-12-02T07:09:37+00:00','c3f66e28e728a9a90bd49c2e5d364a9c37dabe4a849adc3cb273dbe8e1ad72b5',NULL,'Episode 1',NULL,NULL,NULL,NULL,NULL,'Episode one: the harbour master explains how the tides decide when the big ships may come in, and why the pilots start before dawn.','2017-06-24T08:00:00+00:00',NULL,'Episode 1

1 min read

Episode one: the harbour master explains how the tides decide when the big ships may come in, and why the pilots start before dawn.
',24,'feed','feed','[]',NULL,'first');
INSERT INTO "versions" VALUES(3,3,1,'2026-12-02T07:09:38+00:00','c0463e96f40f9cc3d3dbc6d092ed20a4356c741de4f059f30005734cb12d705a',NULL,'Bridge reopens',NULL,NULL,NULL,NULL,NULL,'The old bridge reopened to traffic on Saturday after eight months of repairs to its piers and deck, two weeks earlier than planned.
Buses return to their usual route from Monday, the transport authority said.','2017-06-24T09:00:00+00:00',NULL,'Bridge reopens

1 min read

The old bridge reopened to traffic on Saturday after eight months of repairs to its piers and deck, two weeks earlier than planned.

Buses return to their usual route from Monday, the transport authority said.
',35,'page','trafilatura 2.3.1, rules 3','[]','5de7a66d7570cea1abdb142505ca72df6ed6f36e469012958f2282553cc3b5a1','first');
INSERT INTO "versions" VALUES(4,2,2,'2026-12-02T07:09:39+00:00','828e58cba1541d2e617e72bbdfe345fe7b0f6813a781b1a2aab36dd4c91c53b7',NULL,'Episode 2',NULL,NULL,NULL,NULL,NULL,'Episode two: two fishermen on the quotas, the weather and the new cold store, and what it means for the boats that stay out longest.','2017-06-24T08:00:00+00:00',NULL,'Episode 2

1 min read

Episode two: two fishermen on the quotas, the weather and the new cold store, and what it means for the boats that stay out longest.
',25,'feed','feed','["title", "body"]',NULL,'edit');
INSERT INTO "versions" VALUES(5,1,2,'2026-12-02T07:09:42+00:00','b23b0f545a2c045255cf1db07cbe0f0ba0eedf5caac2192088cbd24dc5dc5dfd',NULL,'24 June 2017',NULL,NULL,NULL,NULL,NULL,'Note 100632
The ferry timetable for the summer was published this morning, with two extra crossings on weekends and an earlier first boat on Mondays.
The library on the square will close for three weeks in July while the roof is repaired, the council said in a short statement on its site.
Swimmers are asked to keep clear of the north beach until the lifeguards'' new tower is finished, which the builders expect by Friday evening.
The market moves to the harbour car park for the festival weekend, and the usual stalls will be joined by a dozen from the islands.','2017-06-24',NULL,'24 June 2017

1 min read

Note 100632

The ferry timetable for the summer was published this morning, with two extra crossings on weekends and an earlier first boat on Mondays.

The library on the square will close for three weeks in July while the roof is repaired, the council said in a short statement on its site.

Swimmers are asked to keep clear of the north beach until the lifeguards'' new tower is finished, which the builders expect by Friday evening.

The market moves to the harbour car park for the festival weekend, and the usual stalls will be joined by a dozen from the islands.
',101,'page','trafilatura 2.3.1, rules 3','["body"]','76701713ae32b045006e10f87b3be97ff17d9823dc7feb5306cbd9e5077185f9','edit');
INSERT INTO "versions" VALUES(6,2,3,'2026-12-02T07:09:45+00:00','5c0340607b504144b5d6e0244d550d29b987b1e51b1dcb780131c4f9c5f3f76b',NULL,'Episode 3',NULL,NULL,NULL,NULL,NULL,'Episode three: the lighthouse keeper''s daughter on growing up on the rock, the supply boat, and the night the lamp failed in a storm.','2017-06-24T08:00:00+00:00',NULL,'Episode 3

1 min read

Episode three: the lighthouse keeper''s daughter on growing up on the rock, the supply boat, and the night the lamp failed in a storm.
',24,'feed','feed','["title", "body"]',NULL,'edit');
CREATE INDEX feeds_due ON feeds (active, next_poll_at);
CREATE INDEX article_urls_article ON article_urls (article_id);
CREATE INDEX feed_entries_article ON feed_entries (article_id);
CREATE INDEX polls_feed ON polls (feed_id, started_at);
CREATE INDEX versions_article_sha ON versions (article_id, sha256);
CREATE INDEX revisits_article ON revisits (article_id, seen_at);
CREATE INDEX articles_due ON articles (next_check_at);
-- The search index is derived: built as the release builds it.
CREATE VIRTUAL TABLE versions_fts USING fts5 (
    title, body, content="versions", content_rowid="id", tokenize="unicode61 remove_diacritics 2"
);
INSERT INTO versions_fts (rowid, title, body)
    SELECT v.id, v.title, v.body FROM articles a JOIN versions v ON v.id = a.current_version_id;
CREATE TRIGGER articles_search AFTER UPDATE OF current_version_id ON articles
WHEN old.current_version_id IS NOT new.current_version_id
BEGIN
    INSERT INTO versions_fts (versions_fts, rowid, title, body)
        SELECT 'delete', id, title, body FROM versions WHERE id = old.current_version_id;
    INSERT INTO versions_fts (rowid, title, body)
        SELECT id, title, body FROM versions WHERE id = new.current_version_id;
END;
COMMIT;
