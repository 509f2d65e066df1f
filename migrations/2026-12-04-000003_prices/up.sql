-- Model prices per million tokens, valid from a moment on: the platform's
-- defaults (org_id NULL) and each org's own. agentmon estimates the cost
-- of model calls reported without one from the price valid at the call.
CREATE TABLE model_prices (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid REFERENCES orgs(id) ON DELETE CASCADE,
  model text NOT NULL CHECK (model <> '' AND length(model) <= 256),
  valid_from timestamptz NOT NULL,
  input_usd_per_mtok numeric(38, 9) NOT NULL CHECK (input_usd_per_mtok >= 0),
  output_usd_per_mtok numeric(38, 9) NOT NULL CHECK (output_usd_per_mtok >= 0),
  cache_read_usd_per_mtok numeric(38, 9) NOT NULL DEFAULT 0 CHECK (cache_read_usd_per_mtok >= 0),
  cache_creation_usd_per_mtok numeric(38, 9) NOT NULL DEFAULT 0 CHECK (cache_creation_usd_per_mtok >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL
);
CREATE UNIQUE INDEX model_prices_one_per_moment
  ON model_prices (coalesce(org_id, '00000000-0000-0000-0000-000000000000'::uuid), model, valid_from);

-- An org reads its own prices and the platform's, and writes only its own.
ALTER TABLE model_prices ENABLE ROW LEVEL SECURITY;
CREATE POLICY read_own_and_platform ON model_prices FOR SELECT
  USING (org_id IS NULL OR org_id = current_org_id());
CREATE POLICY insert_own ON model_prices FOR INSERT WITH CHECK (org_id = current_org_id());
CREATE POLICY update_own ON model_prices FOR UPDATE
  USING (org_id = current_org_id()) WITH CHECK (org_id = current_org_id());
CREATE POLICY delete_own ON model_prices FOR DELETE USING (org_id = current_org_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON model_prices TO agentmon_app;
