ALTER TABLE event_keys ADD CONSTRAINT event_keys_org_id_fkey FOREIGN KEY (org_id) REFERENCES orgs (id);
