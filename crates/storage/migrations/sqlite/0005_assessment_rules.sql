-- The openness rules (agora_openness::RULES_VERSION) an assessment was made under: the hub
-- regrades default-branch heads assessed under other rules.
ALTER TABLE assessments ADD COLUMN rules TEXT NOT NULL DEFAULT '';
