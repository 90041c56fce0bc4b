-- An archive written by the first schema (user_version 1): two articles from one feed,
-- one of them edited once. Kept to test that newer releases upgrade it in place.
PRAGMA user_version = 1;
BEGIN TRANSACTION;
CREATE TABLE article_urls (
    url TEXT PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id),
    kind TEXT NOT NULL
);
INSERT INTO "article_urls" VALUES('http://127.0.0.1:43893/b/heat',1,'linked');
INSERT INTO "article_urls" VALUES('http://127.0.0.1:43893/a/bridge',2,'linked');
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
);
INSERT INTO "articles" VALUES(1,'http://127.0.0.1:43893/b/heat','2026-11-24T19:11:52+00:00','2026-11-24T19:11:53+00:00',NULL,NULL,'5396e9e8a3a7aeb741767bcf47bab2431a0b67ff317784aa9818840edcad1c87',NULL,NULL);
INSERT INTO "articles" VALUES(2,'http://127.0.0.1:43893/a/bridge','2026-11-24T19:11:52+00:00','2026-11-24T19:11:53+00:00',NULL,NULL,'3ff60fde653361d55e658b17c5b0e904f25f150834f7104e07244db99d5b4469',NULL,NULL);
CREATE TABLE feed_entries (
    feed_id INTEGER NOT NULL REFERENCES feeds (id),
    entry_key TEXT NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles (id),
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    PRIMARY KEY (feed_id, entry_key)
);
INSERT INTO "feed_entries" VALUES(1,'http://127.0.0.1:43893/b/heat',1,'2026-11-24T19:11:52+00:00','2026-11-24T19:11:53+00:00');
INSERT INTO "feed_entries" VALUES(1,'http://127.0.0.1:43893/a/bridge',2,'2026-11-24T19:11:52+00:00','2026-11-24T19:11:53+00:00');
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
);
INSERT INTO "feeds" VALUES(1,'http://127.0.0.1:43893/rss.xml','daily',NULL,NULL,'Daily',1,NULL,NULL,'2026-11-24T19:11:52+00:00','2026-11-24T19:11:53+00:00','2026-11-24T19:11:53+00:00','ok',200,NULL,0,'2026-11-24T19:41:53+00:00');
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
INSERT INTO "polls" VALUES(1,1,'2026-11-24T19:11:52+00:00',310,'ok',200,2,2,NULL,'[]');
INSERT INTO "polls" VALUES(2,1,'2026-11-24T19:11:53+00:00',423,'ok',200,0,1,NULL,'[]');
CREATE TABLE raw_pages (
    sha256 TEXT PRIMARY KEY,
    encoding TEXT NOT NULL,
    size INTEGER NOT NULL,
    content BLOB NOT NULL,
    first_fetched_at TEXT NOT NULL
);
INSERT INTO "raw_pages" VALUES('5396e9e8a3a7aeb741767bcf47bab2431a0b67ff317784aa9818840edcad1c87','zlib',1830,X'789CD5554D6FDB300CBDE757703EAF3392B6C31038BAB4030A6C430BAC43D12363D3B65059142439AE81FDF8518EFBB50543AF39D136C9F7F828E1B9F870797D717B7FF315DAD819B528520083B6D96464B3F481B092D05144285BF481E226EB637DF22565A38E86D415618401BDD5B6011D424F15D4EC21B60403D103D90A7EC3ADBC5DA23623FCC4CE192AF27DF70CEE3C3BF271DC64DCACA74C0625DB485608DFC190FD0B843EEAD2D03A501935DB57787782D7927FEEB1D891D4F7B165FFAAECDA9045F8C63B9487074EE5F9BC902D57E3BC1EF2AAB0B853456F5461B42A105A4FF526CB3375C59D084555E429F12639B03732F55D0A2F257902C913DCCC25E832246A2B6116947897EFD9BA202CA5D8416930844DB61D8DB6745261A44CFD722956700A9DB67DA400D870913BB5581495DE3DF5CC9C2749705A805337E8B1F1E85A58026EB98F13A5CC1AD7C075AD4B8D2640405D4D898E30F45E66E2DE54B025F0B4D334083336220B2C3D46E864E5ED4740B9299E82AE64FD01229BF4EAD847F221818D408F4E4E3349ED7D3AC274296D43A958D41BC303602DE51375C9BD2DB5911148E0D8428523AC3E4D22DF08591DA390D303424E8F51C8D9012167C728E4FC8090F36314F27916928B11A4F0623C98889FBC213D6F516CB46857EA0787289360729DD50133E4BDE37E17D309B2850EFDC3C4E8C842AB1B493EBBE0E2BF9DC3DEBC9FBCEF6FEF9C264C43CFA65933C764D14E5DB01BBD30C503FF22279D73A5B4CEEE9EEFFF8A7F00C777807E','2026-11-24T19:11:52+00:00');
INSERT INTO "raw_pages" VALUES('0ff6d05c19c2f74e0291e15fe8d0e6ab741fe397b8f4f9862110358b84c148fc','zlib',1997,X'789CD555DF6FD4300C7EDF5F61FA0412BB6ABF103AF522A10D0909D0263134F1E86BDD362C4DA224BDAE127F3C76AF63073B2178BCA724B5FDF9FBECD4295E5C5D5FDE7EBB790F6DEA8C3A2A640183B659656433F94058F1D25142285B0C91D22AEB537DFC56AC492743EAD2F5B6D406D0FBE03614C1D200EBA0AB8680CF01524B10B4EC7EC02DEFAF509B11BE60E70D15F91664CEC1089E421A57996B96932583D2D94496F3FE7BA2EC391E86A44B43CB4865D2CEEEC0DEB960AA5F11163B62EF3EB52EEC385D1BB2081FDD067973EFC43D9F8BB376D538978A822A2C6E54D11B5518AD0A843650BDCAF24C7D701DAB4555E462F8CD386C194C449E5C7201C9056ECEC5E84C12B5E5659623794FFEA3030C74C2311E4A8331AEB2F568B4A5E30A1365EAAB97B58233E8B4ED13E360E38ADC7340AD9B3E902A74D7400C2573E65D6E98D4E2BB6F3240C33592DE3A533D66C604551FEF3325D1257A29BBDAEFB3809737AD4B6E09EF16701774A2F0AAC877C2A68330382A2ABD79643F17E1583A201DF1EA060336017D0B27806BD7A749FA36D9125C5DEB52A38910515793A9238C8C0B83EB85159789369A06AE02365C69AEE443828E6F41FB1AD0566C8EBAE21B1121898C40DE05661B056C047AF07CBD38B8EE037F08F2CFD886C4196A678C1B00EB3437A49CBBD611319CB350E108A78B6DC177A59C1EA694B33D52CE0E53CAF91E29E78729E5628F948BC394F2669692F34890E56926A2247E9C12B25F23BF09457BAA3EBB989809F29CE5D3F339ED844AA63EF1208C69091D86FB29A3270BAD6E5A19A1F3803EFA6BE44038A91A30586D9B3FC7FAC45048CFF3BC762EC9EBE17998FB3170A6B4E7ADF43208B79E1C3A3F3CF9F6F1FE09563CBB7D','2026-11-24T19:11:52+00:00');
INSERT INTO "raw_pages" VALUES('3ff60fde653361d55e658b17c5b0e904f25f150834f7104e07244db99d5b4469','zlib',2009,X'789CD5554D6FD43010BDF7570C39814437EA1742ABAC25D42221016A258A2A8EB3C92431756CCB76761B891FCF4C92B285AE101CF764279E8FF7DE24CFC58BABEBCBDB6F37EFA14D9D5147852C60D036AB8C6C262F082B5E3A4A08658B21525A657DAA8FDFCA69D2C990BA74BD2DB501F43EB80D45B0B48575D05543C0CF01524B10B4EC7EC02DEFAF509B01BE60E70D15F95464EEC1153C8534AC32D72CC7930C4A671359EEFBEF8DB2E7F530245D1A5A462A9376F649D93B174CF52BC362471CDDA7D6852741D7862CC247B741DEDC3B09CF6771D6AE1A66A928A8C2E24615BD5185D1AA406803D5AB2CCFD407D7315B54452E07BF1D6E270423905D482E45722937F7E2EA0C12B5E565A6237D4FFE63025CE884733C9406635C65EBC1684BC71526CAD4572F6B0567D069DB27AE838D2B72CF09B56EFA40AAD05D0331948C9977B961508BEFBEC9000D6B24B375A67AEC8C09AA3EDE674AB24BF422BBDA1FB3809737AD4B6E09EF16701774A2F0AAC89FA48D0F82E0A8A8F4E611FD2CC2B14C4026E2598910A6012FE1060336017D0B27806BD7A75186A9F1125C5DEB52A389105157E3514718B9076C5D2F085932DA68DAB222D8B0EAACEA43828EBF88F635A0ADF838EA8ABF8E08492805F22E30F228C506A007CF4838B9EE03BF08F2FFD88624186A678CDB02D6691E4E394FB023E272CE4285039C2E26F1BDDA51393D4C2A677BA89C1D2695F33D54CE0F93CAC51E2A178749E5CD4C25677B9065E78F288D1F1D43F66BE4FBA1684FD56717132341F65C7E7AEED94EA064EA139B624C4BE830DC8F1D3D596875D38A9DCE667DF4D7CC2DE1C86A8BC16ADBFC69F12342013D7B7BED5C929B44ECCC0F813BA53DF7A617539C223975BE84F2E922FF091E3FBFEF','2026-11-24T19:11:53+00:00');
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
    raw_sha256 TEXT REFERENCES raw_pages (sha256),
    UNIQUE (article_id, number)
);
INSERT INTO "versions" VALUES(1,1,1,'2026-11-24T19:11:52+00:00','8643e6fa81bca9f9cc7ab3910b517df5eaa1f627baf289ff38f61d4b83a7f650','Weather','Heat warning issued for the weekend','Olena Kovalenko',NULL,NULL,NULL,NULL,'Paragraph 1 about the heat: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 2.
Paragraph 2 about the heat: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 3.
Paragraph 3 about the heat: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 4.
Paragraph 4 about the heat: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 5.
Paragraph 5 about the heat: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 6.','2025-07-20T10:00:00+00:00',NULL,'Weather

Heat warning issued for the weekend

1 min read

Paragraph 1 about the heat: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 2.

Paragraph 2 about the heat: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 3.

Paragraph 3 about the heat: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 4.

Paragraph 4 about the heat: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 5.

Paragraph 5 about the heat: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 6.

Olena Kovalenko
',160,'page','trafilatura 2.3.1','[]','5396e9e8a3a7aeb741767bcf47bab2431a0b67ff317784aa9818840edcad1c87');
INSERT INTO "versions" VALUES(2,2,1,'2026-11-24T19:11:52+00:00','2171ac72272761d2d7cbbef240d827be1882e2958052fe2002bb8f88fcf8c4bd','World','Council approves new bridge over the river','Olena Kovalenko',NULL,NULL,'The old bridge at dusk','The old bridge at dusk. (Photo: A. Writer)','Paragraph 1 about the bridge: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 2.
Paragraph 2 about the bridge: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 3.
Paragraph 3 about the bridge: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 4.
Paragraph 4 about the bridge: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 5.
Paragraph 5 about the bridge: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 6.','2025-07-20T10:00:00+00:00',NULL,'World

Council approves new bridge over the river

1 min read
The old bridge at dusk
The old bridge at dusk. (Photo: A. Writer)

Paragraph 1 about the bridge: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 2.

Paragraph 2 about the bridge: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 3.

Paragraph 3 about the bridge: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 4.

Paragraph 4 about the bridge: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 5.

Paragraph 5 about the bridge: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 6.

Olena Kovalenko
',160,'page','trafilatura 2.3.1','[]','0ff6d05c19c2f74e0291e15fe8d0e6ab741fe397b8f4f9862110358b84c148fc');
INSERT INTO "versions" VALUES(3,2,2,'2026-11-24T19:11:53+00:00','aff9d52a03242181d216b8a07537bddb83ebfdbc4b67a0b44dfc0047c8cc0fb8','World','Council approves new bridge over the river','Olena Kovalenko',NULL,NULL,'The old bridge at dusk','The old bridge at dusk. (Photo: A. Writer)','Correction: Paragraph 1 about the bridge: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 2.
Paragraph 2 about the bridge: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 3.
Paragraph 3 about the bridge: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 4.
Paragraph 4 about the bridge: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 5.
Paragraph 5 about the bridge: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 6.','2025-07-20T10:00:00+00:00',NULL,'World

Council approves new bridge over the river

1 min read
The old bridge at dusk
The old bridge at dusk. (Photo: A. Writer)

Correction: Paragraph 1 about the bridge: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 2.

Paragraph 2 about the bridge: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 3.

Paragraph 3 about the bridge: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 4.

Paragraph 4 about the bridge: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 5.

Paragraph 5 about the bridge: officials said the measure would be reviewed again next month, and residents told reporters they expected further changes to follow after the council meets on day 6.

Olena Kovalenko
',161,'page','trafilatura 2.3.1','["body"]','3ff60fde653361d55e658b17c5b0e904f25f150834f7104e07244db99d5b4469');
CREATE INDEX feeds_due ON feeds (active, next_poll_at);
CREATE INDEX article_urls_article ON article_urls (article_id);
CREATE INDEX feed_entries_article ON feed_entries (article_id);
CREATE INDEX polls_feed ON polls (feed_id, started_at);
COMMIT;
