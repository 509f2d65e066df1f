-- The idempotency ledger no longer checks each key's org against orgs: the
-- check ran once per stored event (a row lock on the org's row, shared by
-- every concurrent ingest call of the org), while the events themselves,
-- their queue rows and their rollups never had it. Orgs are never deleted
-- (they are suspended), and ingest resolves the org before it stores.
ALTER TABLE event_keys DROP CONSTRAINT event_keys_org_id_fkey;
