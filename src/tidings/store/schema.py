"""The database schema, as an ordered list of migrations. Never edit a released migration: add one."""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (1, "documents, mentions, entities, reports, events, claims, runs", [
        """CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
        """CREATE TABLE documents (
            doc_id VARCHAR PRIMARY KEY,
            source VARCHAR NOT NULL,
            url VARCHAR, title VARCHAR, author VARCHAR, site VARCHAR,
            published VARCHAR,            -- ISO 8601 as found (zone kept), or NULL
            published_utc TIMESTAMP,      -- the same instant in UTC, for sorting and filtering
            published_from VARCHAR,       -- where the date came from
            language VARCHAR, encoding VARCHAR, kind VARCHAR,
            text VARCHAR NOT NULL DEFAULT '',
            boilerplate VARCHAR NOT NULL DEFAULT '',
            raw BLOB,                     -- zlib of the raw bytes: segments point into their decoded text
            segments JSON,                -- [[start, end, raw_start, raw_end], ...]
            status VARCHAR NOT NULL, error VARCHAR,
            text_hash VARCHAR, minhash BLOB,
            duplicate_of VARCHAR,
            run_id VARCHAR, added_at TIMESTAMP
        )""",
        """CREATE TABLE document_sources (
            doc_id VARCHAR NOT NULL, source VARCHAR NOT NULL, run_id VARCHAR,
            PRIMARY KEY (doc_id, source))""",
        """CREATE TABLE mentions (
            doc_id VARCHAR NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
            text VARCHAR NOT NULL, label VARCHAR NOT NULL, entity_id VARCHAR, attrs JSON,
            PRIMARY KEY (doc_id, start, "end", label))""",
        """CREATE TABLE reports (
            report_id VARCHAR PRIMARY KEY, doc_id VARCHAR NOT NULL,
            sentence VARCHAR NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
            event_type VARCHAR, sub_event_type VARCHAR, fields JSON)""",
        """CREATE TABLE doc_claims (
            claim_id VARCHAR PRIMARY KEY, doc_id VARCHAR NOT NULL, text VARCHAR NOT NULL,
            start INTEGER, "end" INTEGER, attributed_to VARCHAR, cue VARCHAR, stance VARCHAR,
            report_id VARCHAR, about VARCHAR)""",
        # Below: derived across documents, rebuilt as a whole by the cross-document stages.
        """CREATE TABLE entities (
            entity_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, type VARCHAR, kind VARCHAR,
            inter INTEGER, country VARCHAR, wikidata VARCHAR, aliases VARCHAR[],
            mentions INTEGER, documents INTEGER)""",
        """CREATE TABLE events (
            event_id VARCHAR PRIMARY KEY,
            event_date DATE, time_precision INTEGER, date_text VARCHAR,
            event_type VARCHAR, sub_event_type VARCHAR, disorder_type VARCHAR,
            actor1 VARCHAR, actor1_id VARCHAR, assoc_actor_1 VARCHAR,
            actor2 VARCHAR, actor2_id VARCHAR, assoc_actor_2 VARCHAR,
            inter1 INTEGER, inter2 INTEGER, interaction INTEGER, civilian_targeting BOOLEAN,
            location VARCHAR, admin1 VARCHAR, country VARCHAR, iso VARCHAR,
            latitude DOUBLE, longitude DOUBLE, geo_precision INTEGER,
            fatalities INTEGER, injuries INTEGER,
            status VARCHAR, contested BOOLEAN, disagreements JSON, notes VARCHAR,
            source_count INTEGER, document_count INTEGER)""",
        """CREATE TABLE event_sources (
            event_id VARCHAR NOT NULL, report_id VARCHAR NOT NULL, doc_id VARCHAR NOT NULL,
            url VARCHAR, site VARCHAR, published VARCHAR, copy_of VARCHAR,
            sentence VARCHAR, start INTEGER, "end" INTEGER,
            attributed_to VARCHAR, cue VARCHAR, status VARCHAR, "values" JSON,
            PRIMARY KEY (event_id, report_id))""",
        """CREATE TABLE claims (
            claim_id VARCHAR PRIMARY KEY, doc_id VARCHAR NOT NULL, text VARCHAR NOT NULL,
            start INTEGER, "end" INTEGER, attributed_to VARCHAR, cue VARCHAR, stance VARCHAR,
            event_id VARCHAR, contradicts VARCHAR[])""",
        """CREATE TABLE runs (
            run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP,
            inputs JSON, seen INTEGER, new INTEGER, already INTEGER, copies INTEGER, failed INTEGER,
            status VARCHAR)""",
        """CREATE INDEX documents_text_hash ON documents (text_hash)""",
        """CREATE INDEX mentions_entity ON mentions (entity_id)""",
        """CREATE INDEX reports_doc ON reports (doc_id)""",
    ]),
    (2, "copy index: copy clusters and MinHash LSH bands kept in the store, so copies are found incrementally", [
        # One row per `ok` document already compared for copies; `cluster` is the smallest doc_id of its copy
        # cluster (singletons included). No primary key: an ART index would hold every id in memory.
        """CREATE TABLE copy_index (
            doc_id VARCHAR NOT NULL, text_hash VARCHAR,
            published_key VARCHAR,        -- the publication time compared in UTC (clean.copies.published_key)
            length INTEGER NOT NULL,      -- characters of clean text: the longer copy wins a tie
            cluster VARCHAR NOT NULL)""",
        # LSH buckets of each signature (one row per band): documents sharing a bucket are compared.
        """CREATE TABLE copy_bands (band UTINYINT NOT NULL, bucket BIGINT NOT NULL, doc_id VARCHAR NOT NULL)""",
    ]),
    (3, "no primary keys on a document's mentions, reports and claims: they are written once, with their document", [
        # Each key was an ART index checked on every insert: at 100,000 VOA pages (4.6 million mentions) the
        # batch writes took twice the CPU with them. `Store.write_documents` writes a document's rows only in
        # the transaction that adds the document, so the documents' key alone keeps them unique.
        """DROP INDEX mentions_entity""",
        """ALTER TABLE mentions RENAME TO mentions_v2""",
        """CREATE TABLE mentions (
            doc_id VARCHAR NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
            text VARCHAR NOT NULL, label VARCHAR NOT NULL, entity_id VARCHAR, attrs JSON)""",
        """INSERT INTO mentions SELECT * FROM mentions_v2""",
        """DROP TABLE mentions_v2""",
        """DROP INDEX reports_doc""",
        """ALTER TABLE reports RENAME TO reports_v2""",
        """CREATE TABLE reports (
            report_id VARCHAR NOT NULL, doc_id VARCHAR NOT NULL,
            sentence VARCHAR NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
            event_type VARCHAR, sub_event_type VARCHAR, fields JSON)""",
        """INSERT INTO reports SELECT * FROM reports_v2""",
        """DROP TABLE reports_v2""",
        """ALTER TABLE doc_claims RENAME TO doc_claims_v2""",
        """CREATE TABLE doc_claims (
            claim_id VARCHAR NOT NULL, doc_id VARCHAR NOT NULL, text VARCHAR NOT NULL,
            start INTEGER, "end" INTEGER, attributed_to VARCHAR, cue VARCHAR, stance VARCHAR,
            report_id VARCHAR, about VARCHAR)""",
        """INSERT INTO doc_claims SELECT * FROM doc_claims_v2""",
        """DROP TABLE doc_claims_v2""",
    ]),
    (4, "no index on documents.text_hash: nothing looks it up, and DuckDB keeps every key index in memory", [
        # Exact copies are found through copy_index. The index held a random 64-hex key per document in
        # DuckDB's cache (which cannot evict it) and was rewritten whole at every checkpoint.
        """DROP INDEX IF EXISTS documents_text_hash""",
    ]),
    (5, "no key indexes on documents, their sources and the derived tables", [
        # DuckDB holds every key index (ART) in memory, cannot evict it, and rewrites it whole at each
        # checkpoint: at 100,000 pages the main process grew 201 -> 390 MB while streaming, with spikes of
        # 512 and 626 MB at checkpoints. `Store.write_documents` checks which documents and sources are
        # stored before writing, and the cross-document stages write their tables whole, so no row is
        # written twice without the keys.
        """ALTER TABLE documents RENAME TO documents_v4""",
        """CREATE TABLE documents (
            doc_id VARCHAR NOT NULL,
            source VARCHAR NOT NULL,
            url VARCHAR, title VARCHAR, author VARCHAR, site VARCHAR,
            published VARCHAR,            -- ISO 8601 as found (zone kept), or NULL
            published_utc TIMESTAMP,      -- the same instant in UTC, for sorting and filtering
            published_from VARCHAR,       -- where the date came from
            language VARCHAR, encoding VARCHAR, kind VARCHAR,
            text VARCHAR NOT NULL DEFAULT '',
            boilerplate VARCHAR NOT NULL DEFAULT '',
            raw BLOB,                     -- zlib of the raw bytes: segments point into their decoded text
            segments JSON,                -- [[start, end, raw_start, raw_end], ...]
            status VARCHAR NOT NULL, error VARCHAR,
            text_hash VARCHAR, minhash BLOB,
            duplicate_of VARCHAR,
            run_id VARCHAR, added_at TIMESTAMP)""",
        """INSERT INTO documents SELECT * FROM documents_v4""",
        """DROP TABLE documents_v4""",
        """ALTER TABLE document_sources RENAME TO document_sources_v4""",
        """CREATE TABLE document_sources (doc_id VARCHAR NOT NULL, source VARCHAR NOT NULL, run_id VARCHAR)""",
        """INSERT INTO document_sources SELECT * FROM document_sources_v4""",
        """DROP TABLE document_sources_v4""",
        """ALTER TABLE entities RENAME TO entities_v4""",
        """CREATE TABLE entities (
            entity_id VARCHAR NOT NULL, name VARCHAR NOT NULL, type VARCHAR, kind VARCHAR,
            inter INTEGER, country VARCHAR, wikidata VARCHAR, aliases VARCHAR[],
            mentions INTEGER, documents INTEGER)""",
        """INSERT INTO entities SELECT * FROM entities_v4""",
        """DROP TABLE entities_v4""",
        """ALTER TABLE events RENAME TO events_v4""",
        """CREATE TABLE events (
            event_id VARCHAR NOT NULL,
            event_date DATE, time_precision INTEGER, date_text VARCHAR,
            event_type VARCHAR, sub_event_type VARCHAR, disorder_type VARCHAR,
            actor1 VARCHAR, actor1_id VARCHAR, assoc_actor_1 VARCHAR,
            actor2 VARCHAR, actor2_id VARCHAR, assoc_actor_2 VARCHAR,
            inter1 INTEGER, inter2 INTEGER, interaction INTEGER, civilian_targeting BOOLEAN,
            location VARCHAR, admin1 VARCHAR, country VARCHAR, iso VARCHAR,
            latitude DOUBLE, longitude DOUBLE, geo_precision INTEGER,
            fatalities INTEGER, injuries INTEGER,
            status VARCHAR, contested BOOLEAN, disagreements JSON, notes VARCHAR,
            source_count INTEGER, document_count INTEGER)""",
        """INSERT INTO events SELECT * FROM events_v4""",
        """DROP TABLE events_v4""",
        """ALTER TABLE event_sources RENAME TO event_sources_v4""",
        """CREATE TABLE event_sources (
            event_id VARCHAR NOT NULL, report_id VARCHAR NOT NULL, doc_id VARCHAR NOT NULL,
            url VARCHAR, site VARCHAR, published VARCHAR, copy_of VARCHAR,
            sentence VARCHAR, start INTEGER, "end" INTEGER,
            attributed_to VARCHAR, cue VARCHAR, status VARCHAR, "values" JSON)""",
        """INSERT INTO event_sources SELECT * FROM event_sources_v4""",
        """DROP TABLE event_sources_v4""",
        """ALTER TABLE claims RENAME TO claims_v4""",
        """CREATE TABLE claims (
            claim_id VARCHAR NOT NULL, doc_id VARCHAR NOT NULL, text VARCHAR NOT NULL,
            start INTEGER, "end" INTEGER, attributed_to VARCHAR, cue VARCHAR, stance VARCHAR,
            event_id VARCHAR, contradicts VARCHAR[])""",
        """INSERT INTO claims SELECT * FROM claims_v4""",
        """DROP TABLE claims_v4""",
    ]),
]

SCHEMA_VERSION = MIGRATIONS[-1][0]
